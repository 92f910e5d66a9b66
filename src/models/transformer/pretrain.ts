/**
 * Next-token-prediction training of the transformer on (prompt, answer) pairs:
 * the loss is the mean cross-entropy of the answer tokens (EOS included) given
 * the prompt, as SFT and the feasibility sketch's base models. Adam over the
 * flat parameter buffer, global-norm clipping, linear warm-up and decay. A
 * base model for RFT is this, stopped early (issue 17, "A base model").
 *
 * Batches are drawn without replacement by counter-based permutations keyed
 * (seed, Stream.data, epoch), so a run is a pure function of its seed.
 */
import { permutation, Stream } from '../../engine/prng.ts';
import { backward, createActivationGrads, createActivations, createGradients, forward, logProbAt, packSequences, type Activations, type ActivationGrads, type Gradients, type TokenSequences, type Transformer } from './model.ts';
import type { Floats } from './params.ts';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The sketch's AdamW (no weight decay) with β₂ 0.98, and lr 3e-3 for batch 64 (../shared/neural-feasibility.md). */
export const PRETRAIN_ADAM: AdamOptions = { learningRate: 3e-3, beta1: 0.9, beta2: 0.98, epsilon: 1e-8 };

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  steps: number;
}

export function adamState(n: number): AdamState {
  return { m: new Float64Array(n), v: new Float64Array(n), steps: 0 };
}

/** θ ← θ − lr · m̂ / (√v̂ + ε), with bias correction; `scale` multiplies the gradient (clipping). */
export function adamStep(params: Floats, grad: Float64Array, state: AdamState, opt: AdamOptions, learningRate: number, scale = 1): void {
  const t = ++state.steps;
  const bc1 = 1 - Math.pow(opt.beta1, t);
  const bc2 = 1 - Math.pow(opt.beta2, t);
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i] * scale;
    m[i] = opt.beta1 * m[i] + (1 - opt.beta1) * g;
    v[i] = opt.beta2 * v[i] + (1 - opt.beta2) * g * g;
    params[i] -= (learningRate * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + opt.epsilon);
  }
}

/** The factor that scales a gradient of this norm down to maxNorm (1 when it is within). */
export function clipScale(grad: Float64Array, maxNorm: number): { norm: number; scale: number } {
  let sq = 0;
  for (let i = 0; i < grad.length; i++) sq += grad[i] * grad[i];
  const norm = Math.sqrt(sq);
  return { norm, scale: norm > maxNorm ? maxNorm / (norm + 1e-6) : 1 };
}

/** Reusable buffers for one batch shape (B × T). */
export interface Workspace {
  acts: Activations;
  dacts: ActivationGrads;
  grads: Gradients;
  dLogProb: Float64Array;
}

export function workspace(model: Transformer, B: number, T: number): Workspace {
  return { acts: createActivations(model, B, T), dacts: createActivationGrads(model, B, T), grads: createGradients(model), dLogProb: new Float64Array(B * T) };
}

/** Mean cross-entropy of the batch's targets, and its gradient into ws.grads (zeroed first). */
export function crossEntropyForwardBackward(model: Transformer, ws: Workspace, seq: TokenSequences): number {
  const V = model.cfg.vocabOut;
  forward(model, ws.acts, seq);
  let n = 0;
  for (let bt = 0; bt < seq.B * seq.T; bt++) if (seq.targets[bt] >= 0) n++;
  let loss = 0;
  ws.dLogProb.fill(0);
  for (let bt = 0; bt < seq.B * seq.T; bt++) {
    if (seq.targets[bt] < 0) continue;
    loss -= logProbAt(ws.acts, V, bt, seq.targets[bt]) / n;
    ws.dLogProb[bt] = -1 / n;
  }
  ws.grads.flat.fill(0);
  backward(model, ws.acts, ws.dacts, seq, ws.grads, { dLogProb: ws.dLogProb });
  return loss;
}

export interface Example {
  /** Prompt tokens ending with the separator. */
  prompt: Int32Array;
  /** Answer tokens, EOS included. */
  answer: Int32Array;
}

export interface PretrainOptions {
  steps: number;
  batchSize: number;
  seed: number;
  adam?: AdamOptions;
  maxGradNorm?: number;
  /** Linear warm-up steps (the sketch: 50). */
  warmup?: number;
  /** Decay the learning rate linearly to 0 at `steps` (the sketch's "decay"; add needed it). */
  decay?: boolean;
  /** Called after every step; return true to stop (e.g. a base model reached its target). */
  after?: (step: number, loss: number) => boolean | void;
}

/** Learning rate at step s (1-based) of a warm-up then constant or linearly decaying schedule. */
export function learningRateAt(s: number, opts: PretrainOptions, lr: number): number {
  const warm = opts.warmup ?? 0;
  const w = warm > 0 ? Math.min(1, s / warm) : 1;
  const d = opts.decay ? Math.max(0, 1 - s / opts.steps) : 1;
  return lr * w * d;
}

/** The context that fits every example. */
export function contextOf(examples: readonly Example[]): number {
  return examples.reduce((m, e) => Math.max(m, e.prompt.length + e.answer.length - 1), 1);
}

/** Trains `model` in place by next-token prediction on `examples`; returns the optimizer state and the last loss. */
export function pretrain(model: Transformer, examples: readonly Example[], opts: PretrainOptions): { adam: AdamState; loss: number; steps: number } {
  const adamOpt = opts.adam ?? PRETRAIN_ADAM;
  const maxNorm = opts.maxGradNorm ?? 1;
  const B = Math.min(opts.batchSize, examples.length);
  const T = contextOf(examples);
  const ws = workspace(model, B, T);
  const adam = adamState(model.layout.count);
  let order = permutation(examples.length, opts.seed, Stream.data, 0);
  let epoch = 0;
  let cursor = 0;
  let loss = NaN;
  let s = 0;
  while (s < opts.steps) {
    const rows: Example[] = [];
    for (let b = 0; b < B; b++) {
      if (cursor === examples.length) {
        order = permutation(examples.length, opts.seed, Stream.data, ++epoch);
        cursor = 0;
      }
      rows.push(examples[order[cursor++]]);
    }
    const seq = packSequences(T, rows);
    loss = crossEntropyForwardBackward(model, ws, seq);
    const { scale } = clipScale(ws.grads.flat, maxNorm);
    s++;
    adamStep(model.params, ws.grads.flat, adam, adamOpt, learningRateAt(s, opts, adamOpt.learningRate), scale);
    if (opts.after?.(s, loss)) break;
  }
  return { adam, loss, steps: s };
}
