/**
 * The narrow interface between a training lane and the maths. Two
 * implementations: CpuBackend (the reference, plain TypeScript) and the WebGPU
 * backend (WGSL kernels), which must compute the same numbers.
 *
 * A backend is objectives ∘ policy model ∘ optimizer (docs/architecture.md):
 * the shape's kind picks the policy model, on either backend.
 *
 * Per step a lane calls `sample` once (the only blocking readback: the grader
 * needs the tokens) and `update` once (rewards up, maths on the device).
 */
import type { Config } from './config.ts';
import type { PolicyParameters, PolicyState } from './policy.ts';
import type { StreamId } from './prng.ts';

/** Answers as token rows of `maxLen` (EOS-padded), with their lengths (EOS included when present). */
export interface TokenBatch {
  count: number;
  /** Which prompt each row answers. */
  promptOf: Int32Array;
  tokens: Int32Array;
  lengths: Int32Array;
}

export interface PairBatch {
  count: number;
  promptOf: Int32Array;
  chosen: Int32Array;
  chosenLen: Int32Array;
  rejected: Int32Array;
  rejectedLen: Int32Array;
}

/** The hyperparameters an update reads; passed every step so knobs can change mid-run. */
export type UpdateHyper = Pick<Config, 'optimizer' | 'rft' | 'dpo' | 'temperature' | 'num_generations' | 'seed'>;

export type UpdateRequest =
  /** `samples` are grouped: rows g*G .. g*G+G-1 answer the same prompt (G = num_generations). */
  | { objective: 'rft'; samples: TokenBatch; rewards: Float32Array }
  /** `samples` is the measurement batch (kl, entropy); `pairs` is what DPO trains on. */
  | { objective: 'dpo'; samples: TokenBatch; pairs: PairBatch }
  | { objective: 'sft'; samples: TokenBatch; demos: TokenBatch };

/** Numbers an update reports; the lane adds the reward statistics. */
/**
 * A logit beyond ±LOGIT_LIMIT counts as overflowed, like NaN/Inf: the update is
 * undone and the run pauses. Without it a learning rate of 1e30 "trains" (the
 * float32 logits only overflow near 3.4e38), with absurd logits and no warning.
 * No sensible run gets near it: Adam moves a logit by at most ~3 × learning_rate
 * per step, and at 1e6 a float32 logit is spaced 1/16 apart, so ordinary steps
 * would already be rounded away. Both backends apply it.
 */
export const LOGIT_LIMIT = 1e6;

export interface UpdateStats {
  loss: number;
  kl: number;
  entropy: number;
  grad_norm: number;
  clip_ratio?: number;
  'rewards/chosen'?: number;
  'rewards/rejected'?: number;
  'rewards/margins'?: number;
  'rewards/accuracies'?: number;
  'logps/chosen'?: number;
  'logps/rejected'?: number;
  mean_token_accuracy?: number;
  /** False when the loss or the new logits were NaN/Inf or beyond ±LOGIT_LIMIT; the backend then kept the previous state. */
  finite: boolean;
}

export interface Backend {
  /** "cpu" or "webgpu (adapter name)". */
  readonly label: string;
  readonly kind: 'cpu' | 'webgpu';
  /**
   * Draw one answer per entry of `promptOf` from the current policy at `temperature`,
   * with counter-based draws keyed by (seed, stream, step, row, position).
   */
  sample(step: number, stream: StreamId, promptOf: Int32Array, temperature: number, seed: number): Promise<TokenBatch>;
  update(step: number, request: UpdateRequest, hyper: UpdateHyper): Promise<UpdateStats>;
  /** A copy of everything needed to continue elsewhere (device lost, backend switch). */
  readState(): Promise<PolicyState>;
  /** A copy of the policy's parameters and its reference only (what read-outs need; no optimizer moments). */
  readPolicy(): Promise<PolicyParameters>;
  writeState(state: PolicyState): Promise<void>;
  dispose(): void;
}
