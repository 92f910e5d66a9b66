/**
 * What a policy model is to the rest of the engine. A model owns one flat
 * parameter buffer; the objectives (src/engine/objectives/) see it only
 * through per-visit statistics and upstream gradients, the optimizer only
 * through the flat buffer and its gradient, and the page, lessons and CLI
 * only through the read-outs. A new kind of model implements these and is
 * registered in src/engine/policies/index.ts.
 *
 * A *visit* is one (answer, position): the state in which the answer's token
 * at that position was emitted. `visits()` is the forward pass over one
 * answer; the handles it returns name the visits for the per-visit calls.
 */
import type { PolicyInit, PolicyKind } from '../enums.ts';
import type { TokenBatch } from '../backend.ts';
import type { StreamId } from '../prng.ts';
import type { Task } from '../task.ts';

export interface InitOptions {
  init: PolicyInit;
  initScale: number;
  seed: number;
  /** Transformer base: stop pretraining at this greedy accuracy on its check prompts, or after maxSteps. */
  base?: { accuracy: number; maxSteps: number };
  /** Told how pretraining the base goes (every check): the page's progress bar. Not called when the base is cached. */
  onBaseProgress?: (p: { step: number; maxSteps: number; checkAccuracy: number | null }) => void;
}

export interface PolicyShape {
  kind: PolicyKind;
  prompts: number;
  maxLen: number;
  /** Answer tokens (EOS + the task's alphabet): what the policy writes. */
  vocab: number;
  /** The network of a neural kind (the tables have none). */
  net?: NetShape;
}

/** A transformer's sizes and what it reads: the config's policy.* fields resolved against the task. */
export interface NetShape {
  layers: number;
  dModel: number;
  heads: number;
  dMlp: number;
  positions: 'learned' | 'rotary';
  /** Tokens the model reads: the answer tokens, the separator, prompt-only characters. */
  vocabIn: number;
  /** Positions: longest prompt + separator + max_len − 1. */
  context: number;
  /** Every prompt's tokens, the separator last (index = prompt). */
  prompts: number[][];
}

/** Rows a model will be asked to visit together (TokenBatch's fields; row n at n · maxLen). */
export interface VisitBatch {
  count: number;
  promptOf: Int32Array;
  tokens: Int32Array;
  lengths: Int32Array;
}

/** The parameters of a policy and of its frozen reference (π_ref), flat. */
export interface PolicyParameters {
  shape: PolicyShape;
  params: Float32Array;
  ref: Float32Array;
}

/** The CPU side of a policy model: forward per-visit statistics, backward to parameter gradients, sampling. */
export interface CpuPolicyModel {
  readonly shape: PolicyShape;
  /** The flat parameter gradient `backward` writes (paramCount entries). */
  readonly grad: Float64Array;
  /** Points the model at the parameters it reads (the backend's state), dropping cached statistics. */
  bind(params: Float32Array, ref: Float32Array): void;
  /** Parameters changed in place: drop cached statistics. */
  invalidate(): void;
  /** Draws one answer per entry of `promptOf` at temperature T (counter-based draws). */
  sample(step: number, stream: StreamId, promptOf: Int32Array, T: number, seed: number): TokenBatch;
  /**
   * Optional: the rows of `batch` are visited next, at T. A model that needs a forward pass per
   * answer (the transformer) runs one batched pass here; the tables need nothing.
   */
  prepareBatch?(batch: VisitBatch, T: number): void;
  /** Forward over one answer: the handles of its `len` visits into `out`, with the policy's statistics at T made current. */
  visits(prompt: number, tokens: Int32Array, offset: number, len: number, T: number, out: Int32Array): void;
  /** log π(token | visit) at T. */
  logProb(v: number, token: number, T: number): number;
  /** log π_ref(token | visit) at T. */
  refLogProb(v: number, token: number, T: number): number;
  /** H(π(·|visit)) at the T of the last `visits`. */
  entropy(v: number): number;
  /** Exact KL(π(·|visit) ‖ π_ref(·|visit)) at T. */
  klToReference(v: number, T: number): number;
  /** The greedy prediction at the visit (the first most likely token). */
  greedyToken(v: number): number;
  /** Adds the upstream gradient u = ∂L/∂log π(token | visit). */
  addUpstream(v: number, token: number, u: number): void;
  /** Adds the upstream gradient ∂L/∂H(π(·|visit)) (the entropy bonus). */
  addEntropyUpstream(v: number, dLdH: number): void;
  /** Turns the accumulated upstream gradients into `grad` at temperature T; returns Σ grad². */
  backward(T: number): number;
  /** Clears what `addUpstream`/`backward` left (after the optimizer step). */
  clearGradient(): void;
  /** After an update that broke off (NaN): clears every accumulator and cached statistic. */
  reset(): void;
}

/** What the page, the lessons and the CLI read of a policy, at temperature 1 unless given. */
export interface PolicyReadouts {
  /** π(· | prompt, prefix): the distribution of the token after `prefix`. */
  nextTokenDistribution(policy: PolicyParameters, prompt: number, prefix: ArrayLike<number>, temperature?: number): Float64Array;
  /** log π(tokens | prompt) of the policy ("policy") or its reference ("reference"), summed over the tokens given. */
  sequenceLogProb(policy: PolicyParameters, which: 'policy' | 'reference', prompt: number, tokens: ArrayLike<number>): number;
  /** Greedy decoding until EOS or max_len: the answer's tokens, EOS left out. */
  greedyAnswer(policy: PolicyParameters, prompt: number): number[];
  /** Optional: `greedyAnswer` of many prompts at once (a neural model decodes them as one batch). */
  greedyAnswers?(policy: PolicyParameters, prompts: readonly number[]): number[][];
  /** Per position, the distribution of the emitted token given that the answer reached that position. */
  positionMarginals(policy: PolicyParameters, prompt: number, temperature?: number): Float64Array[];
}

/** A policy kind: everything the engine needs to know of it, in one registry entry. */
export interface PolicyKindEntry {
  paramCount(shape: PolicyShape): number;
  /** Initial parameters (the reference starts equal to them). */
  initialParams(shape: PolicyShape, task: Task, opts: InitOptions): Float32Array;
  cpu(shape: PolicyShape): CpuPolicyModel;
  readouts: PolicyReadouts;
  /** One line on what makes the policy large, for "buffer too large" messages. */
  sizeHint(shape: PolicyShape): string;
}
