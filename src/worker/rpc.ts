/**
 * Method calls to a worker and back, in comlink's wire format (APPLY with RAW arguments; a RAW answer,
 * or a "throw" HANDLER carrying the error), for the browser builds: the page calls the training worker,
 * the training worker calls its grading sandboxes. Written out rather than bundled from comlink because
 * the playground only ever calls methods, and the 300 kB budget has no room for comlink's proxies of
 * proxies, SET, CONSTRUCT or release, which nothing here uses. Node's grading hosts keep comlink (its
 * node adapter); tests/ui/worker-client.test.ts runs these against comlink both ways.
 */
import type { Remote } from 'comlink';

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

/** What a worker's global (or a MessagePort) offers `expose`. */
export interface ExposeEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

/** Serves `api`'s methods to `remote` (or comlink's `wrap`) on the other side of `endpoint`. */
export function expose(api: object, endpoint: ExposeEndpoint = self as unknown as ExposeEndpoint): void {
  endpoint.addEventListener('message', async (e) => {
    const call = e.data as { id?: string; type?: string; path?: unknown[]; argumentList?: { value: unknown }[] } | null;
    if (!call || call.type !== 'APPLY' || !Array.isArray(call.path) || call.path.length !== 1) return;
    let answer: Answer;
    let moved: Transferable[] = [];
    try {
      const method = (api as Record<string, unknown>)[String(call.path[0])];
      if (typeof method !== 'function') throw new TypeError(`${String(call.path[0])} is not a method`);
      const value: unknown = await method.apply(api, (call.argumentList ?? []).map((a) => a.value));
      if (value !== null && typeof value === 'object') moved = transfers.get(value) ?? [];
      answer = { id: call.id!, type: 'RAW', value };
    } catch (err) {
      const value = err instanceof Error ? { isError: true, value: { message: err.message, name: err.name, stack: err.stack } } : { isError: false, value: err };
      answer = { id: call.id!, type: 'HANDLER', name: 'throw', value };
    }
    endpoint.postMessage(answer, moved);
  });
}
