/**
 * Starts browser grading workers: a module worker from its own file, which the
 * single-file build inlines (vite.single.config.ts). The worker's origin does
 * not matter for safety: custom code runs in a QuickJS VM inside it, which has
 * no way to reach the worker's global, let alone the network or the origin's
 * storage (quickjs-sandbox.ts).
 *
 * The QuickJS engine (a wasm file) is fetched and compiled once here, on first
 * need, and handed to each worker as a compiled WebAssembly.Module.
 */
import { remote } from '../../worker/rpc.ts';
import wasmUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url';
import type { SandboxApi, SandboxHost, SandboxPlatform } from './protocol.ts';

export function spawnBrowserSandbox(): SandboxHost {
  const worker = new Worker(new URL('./browser.worker.ts', import.meta.url), { type: 'module', name: 'grader sandbox' });
  const died = new Promise<{ reason: 'memory' | 'crash'; message: string }>((resolve) => {
    worker.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      resolve({ reason: 'crash', message: `crashed (${String(e.message || 'its worker stopped').slice(0, 200)})` });
    });
  });
  return { api: remote<SandboxApi>(worker), died, terminate: () => worker.terminate() };
}

/** The engine's bytes: a data: URL in the single-file build (decoded here; fetch of data: may be refused by the CSP), else a file beside the page. */
async function wasmBytes(url: string): Promise<ArrayBuffer> {
  if (url.startsWith('data:')) {
    const base64 = url.slice(url.indexOf(',') + 1);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  const response = await fetch(new URL(url, import.meta.url));
  if (!response.ok) throw new Error(`the grader engine could not be loaded (HTTP ${response.status} for ${url})`);
  return response.arrayBuffer();
}

let compiled: Promise<WebAssembly.Module> | null = null;

export const browserPlatform: SandboxPlatform = {
  spawn: spawnBrowserSandbox,
  vmModule: () => {
    compiled ??= wasmBytes(wasmUrl).then((bytes) => WebAssembly.compile(bytes));
    // A failed load is not cached: going back online (or a reload) can fix it.
    compiled.catch(() => (compiled = null));
    return compiled;
  },
  cores: Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2),
};
