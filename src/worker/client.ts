/** The page's handle on the training worker: a typed proxy of its API (src/worker/rpc.ts). */
import type { Remote } from 'comlink';
import type { TrainingApi } from './training.worker.ts';
import type { WorkerEvent } from './protocol.ts';
import { remote, transfer } from './rpc.ts';

export type TrainingClient = Remote<TrainingApi>;

export function startTrainingWorker(): { client: TrainingClient; worker: Worker } {
  const worker = new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
  return { client: remote<TrainingApi>(worker), worker };
}

/**
 * A one-way port for the worker's events. Cheaper than a callback, which would answer every event with a
 * message back to the worker; the port is moved to the worker by `start`.
 */
export function listen(listener: (e: WorkerEvent) => void): MessagePort {
  const channel = new MessageChannel();
  channel.port1.onmessage = (m: MessageEvent<WorkerEvent>) => listener(m.data);
  return transfer(channel.port2, [channel.port2]);
}
