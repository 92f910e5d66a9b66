/** One GPU runtime per worker: the lanes share a device and its compiled pipelines, and still train apart. */
import { describe, expect, it } from 'vitest';
import { Stream } from '../../src/engine/prng.ts';
import { SHARED_KERNELS } from '../../src/gpu/kernels.ts';
import { GPU_POLICY_MODELS } from '../../src/gpu/policies/index.ts';
import { GpuRuntime, sharedRuntime } from '../../src/gpu/runtime.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { gpu, setup } from './helpers.ts';

describe.skipIf(!gpu)('GPU runtime', () => {
  it('compiles each kernel once for three lanes of one shape, and for another kind only that kind\'s kernels', async () => {
    const table = GPU_POLICY_MODELS.tabular.kernels.length;
    const runtime = await GpuRuntime.create(gpu!);
    const s = setup({ task: 'reverse', backend: 'webgpu' });
    const lanes = await Promise.all([0, 1, 2].map(() => WebGpuBackend.create(gpu!, s.state, { runtime })));
    expect(runtime.compiled).toBe(SHARED_KERNELS.length + table);
    expect(new Set(lanes.map((b) => b.gpuDevice)).size).toBe(1);
    const other = await WebGpuBackend.create(gpu!, setup({ task: 'reverse', backend: 'webgpu', policy: { kind: 'autoregressive' } }).state, { runtime });
    // Same vocabulary, max_len and prompts: the objectives' and optimizer's pipelines are shared across kinds.
    expect(runtime.compiled).toBe(SHARED_KERNELS.length + 2 * table);
    // Each lane keeps its own buffers: one lane's sample and update leave another's policy as it was.
    const before = await lanes[1].readPolicy();
    const batch = await lanes[0].sample(1, Stream.train, new Int32Array(64).fill(1), 1, 3);
    const rewards = Float32Array.from({ length: 64 }, (_, i) => (batch.tokens[i * s.state.shape.maxLen] % 3) / 2);
    const stats = await lanes[0].update(1, { objective: 'rft', samples: batch, rewards }, { ...s.config, num_generations: 8 });
    expect(stats.finite).toBe(true);
    expect(Array.from((await lanes[1].readPolicy()).params)).toEqual(Array.from(before.params));
    expect(Array.from((await lanes[0].readPolicy()).params)).not.toEqual(Array.from(before.params));
    for (const b of [...lanes, other]) b.dispose();
  });

  it('the shared runtime is one per GPU and is replaced once its device is gone', async () => {
    const a = await sharedRuntime(gpu!);
    expect(await sharedRuntime(gpu!)).toBe(a);
    const backend = await WebGpuBackend.create(gpu!, setup({ task: 'add', backend: 'webgpu' }).state, { runtime: a });
    backend.dispose();
    await new Promise((r) => setTimeout(r, 20));
    expect(await sharedRuntime(gpu!)).not.toBe(a);
  });
});
