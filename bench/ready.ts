/**
 * WebGPU ready time: how long the page's three lanes take to get their
 * backends (device + compiled pipelines) for the default run, in Node with
 * Dawn: `npx tsx bench/ready.ts` (SwiftShader on machines without a GPU).
 * "own devices" is each lane creating its device and compiling every kernel
 * (before the shared runtime); "shared runtime" is what the worker does now.
 */
import { loadConfig } from '../src/engine/config.ts';
import { initialState, resolveTask } from '../src/engine/setup.ts';
import { probeNodeGpu } from '../src/gpu/node-gpu.ts';
import { GpuRuntime } from '../src/gpu/runtime.ts';
import { WebGpuBackend } from '../src/gpu/webgpu-backend.ts';

const { gpu, reason } = await probeNodeGpu();
if (!gpu) {
  console.log(`WebGPU ready time not measured: ${reason}`);
  process.exit(0);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const kind of ['tabular', 'autoregressive'] as const) {
  const config = loadConfig({ policy: { kind } });
  const task = resolveTask(config);
  const state = initialState(config, task);
  for (const mode of ['own devices', 'shared runtime'] as const) {
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      // As the worker does: the three lanes' backends together.
      const runtime = mode === 'shared runtime' ? await GpuRuntime.create(gpu) : undefined;
      const backends = await Promise.all([0, 1, 2].map(() => WebGpuBackend.create(gpu, state, { runtime })));
      times.push(performance.now() - started);
      for (const b of backends) b.dispose();
      await sleep(50);
    }
    times.sort((a, b) => a - b);
    console.log(`${kind.padEnd(14)} ${mode.padEnd(14)}: three lanes ready in ${times.map((t) => t.toFixed(0)).join(' / ')} ms (median ${times[2].toFixed(0)} ms)`);
  }
}
process.exit(0);
