import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../src/engine/objectives/advantages.ts';
import { STD_EPS } from '../../src/engine/objectives/constants.ts';
import { config } from './helpers.ts';
import { rewardStats } from '../../src/engine/lane.ts';

const rft = (over: object) => config({ rft: over }).rft;
const r = Float32Array.from([1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 1]);

describe('advantages', () => {
  it('grpo divides by the group std (n − 1) plus 1e-4, and a tied group gets exactly 0', () => {
    const { advantages } = computeAdvantages(r, 4, rft({ advantage: 'grpo' }), NaN);
    const std = Math.sqrt((4 * 0.25) / 3);
    expect(advantages[0]).toBeCloseTo(0.5 / (std + STD_EPS), 12);
    expect(advantages[1]).toBeCloseTo(-0.5 / (std + STD_EPS), 12);
    expect(Array.from(advantages.slice(4, 8))).toEqual([0, 0, 0, 0]);
    const std3 = Math.sqrt((3 * 0.0625 + 0.5625) / 3);
    expect(advantages[11]).toBeCloseTo(0.75 / (std3 + STD_EPS), 12);
  });

  it('grpo scale_rewards "batch" uses the batch std; "none" only centres', () => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const batchStd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const b = computeAdvantages(r, 4, rft({ scale_rewards: 'batch' }), NaN).advantages;
    expect(b[0]).toBeCloseTo(0.5 / (batchStd + STD_EPS), 12);
    const n = computeAdvantages(r, 4, rft({ scale_rewards: 'none' }), NaN).advantages;
    expect(n[0]).toBeCloseTo(0.5, 12);
    expect(n[11]).toBeCloseTo(0.75, 12);
  });

  it('rloo subtracts the mean of the other candidates', () => {
    const a = computeAdvantages(r, 4, rft({ advantage: 'rloo' }), NaN).advantages;
    expect(a[0]).toBeCloseTo(1 - 1 / 3, 12);
    expect(a[1]).toBeCloseTo(0 - 2 / 3, 12);
    expect(a[11]).toBeCloseTo(1, 12);
  });

  it('reinforce uses a moving-average baseline that starts at the first batch mean', () => {
    const cfg = rft({ advantage: 'reinforce', baseline_decay: 0.9 });
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const first = computeAdvantages(r, 4, cfg, NaN);
    expect(first.advantages[0]).toBeCloseTo(1 - mean, 6);
    expect(first.baseline).toBeCloseTo(mean, 6);
    const ones = new Float32Array(12).fill(1);
    const second = computeAdvantages(ones, 4, cfg, first.baseline);
    expect(second.advantages[0]).toBeCloseTo(1 - mean, 6);
    expect(second.baseline).toBeCloseTo(0.9 * mean + 0.1, 6);
  });

  it('reward statistics follow TRL: reward_std is the mean of group stds', () => {
    const s = rewardStats(r, 4);
    expect(s.reward).toBeCloseTo(r.reduce((a, b) => a + b, 0) / 12, 6);
    expect(s.frac_reward_zero_std).toBeCloseTo(1 / 3, 12);
    expect(s.reward_std).toBeCloseTo((Math.sqrt(1 / 3) + 0 + 0.5) / 3, 6);
  });
});
