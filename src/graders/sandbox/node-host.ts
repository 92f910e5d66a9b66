/** Starts Node grading workers: worker_threads Workers running node-worker.mjs, spoken to through comlink's node adapter. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SandboxApi, SandboxHost, SandboxPlatform, SpawnOptions } from './protocol.ts';

/** The worker's own JavaScript (templates, the VM's glue) needs little; the VM's memory is its own wasm memory. */
const WORKER_HEAP_MB = 256;

export function spawnNodeSandbox({ memoryMb }: SpawnOptions): SandboxHost {
  const worker = new Worker(new URL('./node-worker.mjs', import.meta.url), {
    // No environment and no inherited stdio into the worker: nothing in it needs them.
    env: {},
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  // Swallowed on purpose: a worker has nothing to say on stdout/stderr that a user should see.
  worker.stdout.resume();
  worker.stderr.resume();
  const died = new Promise<{ reason: 'memory' | 'crash'; message: string }>((resolve) => {
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ reason: 'memory', message: `ran out of memory (limit ${memoryMb} MB)` });
      else resolve({ reason: 'crash', message: `crashed (${String(e.message).slice(0, 200)})` });
    });
    worker.on('exit', (code) => resolve({ reason: 'crash', message: `crashed (its worker exited with code ${code})` }));
  });
  const api = wrap<SandboxApi>(nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]));
  // An idle pool must not keep the CLI alive; a pending grade call holds its own timer. After wrap():
  // adding a 'message' listener re-refs a worker's port.
  worker.unref();
  return { api, died, terminate: () => void worker.terminate() };
}

export const nodePlatform: SandboxPlatform = {
  spawn: spawnNodeSandbox,
  // Node workers load the engine from the package themselves.
  vmModule: async () => undefined,
  cores: availableParallelism(),
};
