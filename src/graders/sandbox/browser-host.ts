/**
 * Starts browser sandboxes. `?worker&inline` makes Vite bundle the worker and
 * start it from a Blob URL, and a Blob worker inherits the page's CSP; a worker
 * loaded from its own URL would get only that file's (usually absent) CSP header.
 */
import { transfer, wrap } from 'comlink';
import SandboxWorker from './browser.worker.ts?worker&inline';
import type { SandboxApi, SandboxHost, SandboxPlatform } from './protocol.ts';

export function spawnBrowserSandbox(): SandboxHost {
  const worker = new SandboxWorker({ name: 'grader sandbox' });
  // Shared memory gives the exact sample a timeout hit; it needs a cross-origin isolated page.
  const shared = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
  let view: Int32Array | null = null;
  let lastReported = -1;
  let channel: SharedArrayBuffer | MessagePort;
  if (shared) {
    const buffer = new SharedArrayBuffer(4);
    view = new Int32Array(buffer);
    view[0] = -1;
    channel = buffer;
  } else {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (e: MessageEvent<number>) => (lastReported = e.data);
    channel = port2;
  }
  const died = new Promise<{ reason: 'memory' | 'crash'; message: string }>((resolve) => {
    worker.addEventListener('error', (e: ErrorEvent) => resolve({ reason: 'crash', message: `crashed (${e.message || 'its worker stopped'})` }));
  });
  const api = wrap<SandboxApi>(worker);
  return {
    api,
    // A MessagePort must be transferred, not copied; shared memory is simply shared.
    load: (source) => api.load(source, channel instanceof MessagePort ? transfer(channel, [channel]) : channel),
    progress: () => (view ? { index: Atomics.load(view, 0), exact: true } : { index: lastReported, exact: false }),
    resetProgress: () => {
      if (view) Atomics.store(view, 0, -1);
      lastReported = -1;
    },
    died,
    terminate: () => worker.terminate(),
  };
}

export const browserPlatform: SandboxPlatform = { spawn: spawnBrowserSandbox, cores: Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2) };
