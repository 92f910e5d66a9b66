/** Starts Node sandboxes: worker_threads Workers running node-worker.mjs, spoken to through comlink's node adapter. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SandboxApi, SandboxHost, SandboxPlatform, SpawnOptions } from './protocol.ts';
import { GRADER_FILENAME, PRELUDE_SOURCE, RUNNER_SOURCE, SOURCE_SUFFIX } from './runner-source.ts';

export function spawnNodeSandbox({ memoryMb }: SpawnOptions): SandboxHost {
  const worker = new Worker(new URL('./node-worker.mjs', import.meta.url), {
    workerData: { preludeSource: PRELUDE_SOURCE, runnerSource: RUNNER_SOURCE, suffix: SOURCE_SUFFIX, filename: GRADER_FILENAME },
    resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, memoryMb / 8)), stackSizeMb: 4 },
  });
  const progressBuffer = new SharedArrayBuffer(4);
  const progressView = new Int32Array(progressBuffer);
  progressView[0] = -1;
  const died = new Promise<{ reason: 'memory' | 'crash'; message: string }>((resolve) => {
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ reason: 'memory', message: `ran out of memory (limit ${memoryMb} MB)` });
      else resolve({ reason: 'crash', message: `crashed (${e.message})` });
    });
    worker.on('exit', (code) => resolve({ reason: 'crash', message: `crashed (its worker exited with code ${code})` }));
  });
  const api = wrap<SandboxApi>(nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]));
  // An idle pool must not keep the CLI alive; a pending grade call holds its own timer. After wrap():
  // adding a 'message' listener re-refs a worker's port.
  worker.unref();
  return {
    api,
    load: (source) => api.load(source, progressBuffer),
    progress: () => ({ index: Atomics.load(progressView, 0), exact: true }),
    resetProgress: () => void Atomics.store(progressView, 0, -1),
    died,
    terminate: () => void worker.terminate(),
  };
}

export const nodePlatform: SandboxPlatform = { spawn: spawnNodeSandbox, cores: availableParallelism() };
