/** The page's handle on the training worker: a typed comlink proxy. */
import * as Comlink from 'comlink';
import type { TrainingApi } from './training.worker.ts';
import type { WorkerEvent } from './protocol.ts';

export type TrainingClient = Comlink.Remote<TrainingApi>;

export function startTrainingWorker(): { client: TrainingClient; worker: Worker } {
  const worker = new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
  return { client: Comlink.wrap<TrainingApi>(worker), worker };
}

/**
 * A one-way port for the worker's events. Cheaper than a comlink callback,
 * which answers every call with a message back to the worker; the port is
 * transferred to the worker by `start`.
 */
export function listen(listener: (e: WorkerEvent) => void): MessagePort {
  const channel = new MessageChannel();
  channel.port1.onmessage = (m: MessageEvent<WorkerEvent>) => listener(m.data);
  return Comlink.transfer(channel.port2, [channel.port2]);
}
