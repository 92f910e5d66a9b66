/**
 * One submit and one blocking readback per training step: when update(k) and
 * sample(k + 1) are called in the same turn, the update rides in the sample's
 * submit and its statistics come back in the sample's readback. The numbers
 * are the same as when every call is awaited on its own.
 */
import { describe, expect, it } from 'vitest';
import type { TokenBatch, UpdateStats } from '../../src/engine/backend.ts';
import { Stream } from '../../src/engine/prng.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { gpu, lanePrompts, setup, syntheticRewards } from './helpers.ts';

const STEPS = 12;
const RUN = { task: 'reverse', seed: 5, batch_prompts: 4, num_generations: 16 };

async function trainRun(pipelined: boolean): Promise<{ stats: UpdateStats[]; submits: number; readbacks: number; logits: Float32Array }> {
  const { config, task, state } = setup(RUN);
  const backend = await WebGpuBackend.create(gpu!, state);
  try {
    const L = state.shape.maxLen;
    const sample = (step: number) => backend.sample(step, Stream.train, lanePrompts(config, task, step), config.temperature, config.seed);
    let batch: TokenBatch = await sample(1);
    const start = { ...backend.counters };
    const stats: UpdateStats[] = [];
    for (let step = 1; step <= STEPS; step++) {
      const request = { objective: 'rft' as const, samples: batch, rewards: syntheticRewards(batch, L) };
      if (pipelined) {
        const pending = backend.update(step, request, config);
        const next = sample(step + 1); // same turn: joins the update's submit
        const [nextBatch, s] = await Promise.all([next, pending]);
        stats.push(s);
        batch = nextBatch;
      } else {
        stats.push(await backend.update(step, request, config));
        batch = await sample(step + 1);
      }
    }
    const counters = { submits: backend.counters.submits - start.submits, readbacks: backend.counters.readbacks - start.readbacks };
    return { stats, ...counters, logits: (await backend.readState()).logits };
  } finally {
    backend.dispose();
  }
}

describe.skipIf(!gpu)('pipelined steps', () => {
  it('make one submit and one readback per step, with the same results as awaited calls', async () => {
    const pipelined = await trainRun(true);
    const awaited = await trainRun(false);
    expect(pipelined.submits).toBe(STEPS);
    expect(pipelined.readbacks).toBe(STEPS);
    expect(awaited.submits).toBe(2 * STEPS);
    expect(pipelined.stats).toEqual(awaited.stats);
    expect(Array.from(pipelined.logits)).toEqual(Array.from(awaited.logits));
    expect(pipelined.stats.some((s) => s.grad_norm > 0)).toBe(true);
  });

  it('refuses a second update before the first has resolved, instead of guessing its outcome', async () => {
    const { config, task, state } = setup(RUN);
    const backend = await WebGpuBackend.create(gpu!, state);
    try {
      const batch = await backend.sample(1, Stream.train, lanePrompts(config, task, 1), 1, config.seed);
      const request = { objective: 'rft' as const, samples: batch, rewards: syntheticRewards(batch, state.shape.maxLen) };
      const first = backend.update(1, request, config);
      await expect(backend.update(2, request, config)).rejects.toThrow('the previous update has not resolved yet');
      await first;
    } finally {
      backend.dispose();
    }
  });
});
