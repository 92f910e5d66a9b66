/** Advantages for RFT: how much better each candidate scored than its baseline. */
import type { Config } from '../config.ts';
import { STD_EPS } from './constants.ts';

export interface Advantages {
  advantages: Float64Array;
  /** The REINFORCE baseline after this batch (unchanged for grpo / rloo). */
  baseline: number;
}

/**
 * `rewards` holds groups of G candidates for the same prompt, one after another.
 * - grpo: r − group mean, divided by the group's (or batch's) std unless scale_rewards is "none";
 * - rloo: r − mean of the other G − 1 candidates of the group;
 * - reinforce: r − a moving-average baseline carried across steps.
 * A group whose rewards are all equal gets exactly zero advantage.
 */
export function computeAdvantages(rewards: Float32Array, G: number, rft: Config['rft'], baseline: number): Advantages {
  const N = rewards.length;
  const out = new Float64Array(N);
  if (rft.advantage === 'reinforce') {
    const { used, next } = reinforceBaseline(rewards, rft, baseline);
    for (let i = 0; i < N; i++) out[i] = rewards[i] - used;
    return { advantages: out, baseline: next };
  }
  const batchStd = rft.scale_rewards === 'batch' ? stdOf(rewards, 0, N) : 0;
  for (let g0 = 0; g0 < N; g0 += G) {
    const end = Math.min(g0 + G, N);
    const size = end - g0;
    if (isConstant(rewards, g0, end) || size < 2) continue; // zeros already
    const mean = meanOf(rewards, g0, end);
    if (rft.advantage === 'rloo') {
      const sum = mean * size;
      for (let i = g0; i < end; i++) out[i] = rewards[i] - (sum - rewards[i]) / (size - 1);
      continue;
    }
    const scale = rft.scale_rewards === 'none' ? 1 : 1 / ((rft.scale_rewards === 'batch' ? batchStd : stdOf(rewards, g0, end)) + STD_EPS);
    for (let i = g0; i < end; i++) out[i] = (rewards[i] - mean) * scale;
  }
  return { advantages: out, baseline };
}

/**
 * REINFORCE's moving-average baseline: the one this batch is measured against
 * (the batch mean on the first step, while the baseline is NaN) and the one
 * carried to the next step. Host code on both backends.
 */
export function reinforceBaseline(rewards: Float32Array, rft: Pick<Config['rft'], 'baseline_decay'>, baseline: number): { used: number; next: number } {
  const mean = meanOf(rewards, 0, rewards.length);
  const used = Number.isNaN(baseline) ? mean : baseline;
  return { used, next: rft.baseline_decay * used + (1 - rft.baseline_decay) * mean };
}

export function meanOf(a: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return to > from ? s / (to - from) : 0;
}

/** Sample standard deviation (n − 1), as torch.std. */
export function stdOf(a: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  if (n < 2) return 0;
  const m = meanOf(a, from, to);
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i] - m) * (a[i] - m);
  return Math.sqrt(s / (n - 1));
}

function isConstant(a: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) if (a[i] !== a[from]) return false;
  return true;
}
