/** The engine learns what each objective should learn, on fixed seeds, with the documented defaults. */
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/engine/config.ts';
import { makeLane } from '../../src/engine/setup.ts';
import { fixture } from './helpers.ts';

/** Runs `steps` steps and returns the mean of `key` over the last `window` steps. */
async function settle(over: ConfigInput, key: string, window = 20): Promise<number> {
  const { cfg, task, state } = fixture(over);
  const lane = makeLane(cfg, { task, state });
  const tail: number[] = [];
  for (let i = 0; i < cfg.steps; i++) {
    const out = await lane.step();
    if (!out.ok) throw new Error(out.message);
    tail.push(out.metrics[key]);
    if (tail.length > window) tail.shift();
  }
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

const seeds = [0, 7, 12345];

describe.each(['tabular', 'autoregressive'] as const)('learning (%s)', (kind) => {
  it.each(seeds)('RFT grpo on reverse reaches reward >= 0.9 in 300 steps (seed %i)', async (seed) => {
    expect(await settle({ task: 'reverse', objective: 'rft', seed, steps: 300, policy: { kind } }, 'reward')).toBeGreaterThanOrEqual(0.9);
  });

  it.each(seeds)('SFT on clean demonstrations reaches mean_token_accuracy >= 0.99 (seed %i)', async (seed) => {
    expect(await settle({ task: 'reverse', objective: 'sft', seed, steps: 300, policy: { kind } }, 'mean_token_accuracy')).toBeGreaterThanOrEqual(0.99);
  });

  it.each(seeds)('DPO on preference pairs reaches rewards/accuracies = 1 (seed %i)', async (seed) => {
    expect(await settle({ task: 'reverse', objective: 'dpo', seed, steps: 300, policy: { kind } }, 'rewards/accuracies', 10)).toBe(1);
  });
});

describe('the lesson of the playground: SFT copies errors, RFT with a correct grader does not', () => {
  it.each(seeds)('add with demo_error_rate 0.3: SFT settles near 0.7, RFT reaches >= 0.95 (seed %i)', async (seed) => {
    const common = { task: 'add', seed, steps: 300, demo_error_rate: 0.3 } as const;
    const sft = await settle({ ...common, objective: 'sft' }, 'reward', 50);
    const rft = await settle({ ...common, objective: 'rft' }, 'reward', 20);
    expect(sft).toBeGreaterThan(0.62);
    expect(sft).toBeLessThan(0.78);
    expect(rft).toBeGreaterThanOrEqual(0.95);
  });
});

describe('other RFT variants also learn reverse', () => {
  it.each([
    ['rloo', { rft: { advantage: 'rloo' } }],
    ['reinforce', { rft: { advantage: 'reinforce' } }],
    ['grpo + kl leash + clipped iterations', { rft: { beta: 0.02, num_iterations: 2 } }],
  ] as const)('%s', async (_name, over) => {
    expect(await settle({ task: 'reverse', steps: 400, ...over }, 'reward')).toBeGreaterThanOrEqual(0.8);
  });
});
