/**
 * The page's handle on the training worker: a typed proxy whose every method call is a message to the
 * worker's `Comlink.expose` (src/worker/training.worker.ts) and resolves with its answer.
 *
 * The page speaks comlink's wire format itself (APPLY with RAW arguments; a RAW answer, or a "throw"
 * HANDLER carrying the error) instead of bundling comlink's client: the page only ever calls methods,
 * and the 300 kB budget has no room for proxies of proxies, SET or CONSTRUCT it never uses.
 * tests/ui/worker-client.test.ts runs this client against the real `Comlink.expose`.
 */
import type { Remote } from 'comlink';
import type { TrainingApi } from './training.worker.ts';
import type { WorkerEvent } from './protocol.ts';

export type TrainingClient = Remote<TrainingApi>;

/** What `postMessage` needs of a worker (a Worker, a MessagePort). */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

/** Objects sent by moving, not copying (as `Comlink.transfer` marks them), with what to move. */
const transfers = new WeakMap<object, Transferable[]>();

/** Marks `value` to be moved to the worker with `list` (e.g. a MessagePort) when it is passed to a call. */
export function transfer<T extends object>(value: T, list: Transferable[]): T {
  transfers.set(value, list);
  return value;
}

type Answer = { id: string; type: 'RAW'; value: unknown } | { id: string; type: 'HANDLER'; name: string; value: { isError: boolean; value: unknown } };

/** A proxy whose methods call the exposed object behind `endpoint` (comlink's APPLY on a one-name path). */
export function remote<T>(endpoint: Endpoint): Remote<T> {
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let next = 0;
  endpoint.addEventListener('message', (e) => {
    const answer = e.data as Answer | null;
    const call = answer && pending.get(answer.id);
    if (!call) return;
    pending.delete(answer.id);
    if (answer.type === 'RAW') return call.resolve(answer.value);
    // A thrown Error arrives as its fields (message, name, stack): rebuilt as an Error, as comlink does.
    const thrown = answer.value;
    call.reject(thrown.isError ? Object.assign(new Error(), thrown.value) : thrown.value);
  });
  const method = (name: string) => (...args: unknown[]) =>
    new Promise((resolve, reject) => {
      const id = `page-${next++}`;
      pending.set(id, { resolve, reject });
      const moved = args.flatMap((a) => (a !== null && typeof a === 'object' ? (transfers.get(a) ?? []) : []));
      endpoint.postMessage({ id, type: 'APPLY', path: [name], argumentList: args.map((value) => ({ type: 'RAW', value })) }, moved);
    });
  // `then` stays undefined, so awaiting the client itself does not call the worker.
  return new Proxy({}, { get: (_, name) => (typeof name === 'string' && name !== 'then' ? method(name) : undefined) }) as Remote<T>;
}

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
