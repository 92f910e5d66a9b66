/** RFT's per-token maths that both backends share (the WGSL kernels get these numbers as uniforms). */
import type { Config } from '../config.ts';

/** Per-token weight in the RFT loss (TRL loss_type). */
export function tokenWeight(lossType: Config['rft']['loss_type'], len: number, N: number, tokenCount: number, maxLen: number): number {
  if (lossType === 'grpo') return 1 / (len * N); // mean over the sequence, then over sequences
  if (lossType === 'dapo') return 1 / tokenCount; // mean over every token of the batch
  return 1 / (N * maxLen); // Dr. GRPO: a constant normaliser, no length bias
}

/** PPO's clip range [1 − ε, 1 + ε_high] of the ratio to the sampling policy (ε_high defaults to ε). */
export function clipRange(rft: Pick<Config['rft'], 'epsilon' | 'epsilon_high'>): { lo: number; hi: number } {
  return { lo: 1 - rft.epsilon, hi: 1 + (rft.epsilon_high ?? rft.epsilon) };
}
