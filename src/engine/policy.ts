/**
 * The toy policy: a table of logits. "tabular" has one softmax row per
 * (prompt, position); "autoregressive" one per (prompt, position, previous
 * token), with EOS standing in for "no previous token" at position 0.
 */
import { drawNormal, Stream } from './prng.ts';
import { EOS, type Task, Vocabulary } from './task.ts';

export type PolicyKind = 'tabular' | 'autoregressive';

export interface PolicyShape {
  kind: PolicyKind;
  prompts: number;
  maxLen: number;
  vocab: number;
}

export function rowCount(s: PolicyShape): number {
  return s.kind === 'tabular' ? s.prompts * s.maxLen : s.prompts * s.maxLen * s.vocab;
}

export function paramCount(s: PolicyShape): number {
  return rowCount(s) * s.vocab;
}

/** Index of the softmax row that emits the token at `position` of an answer to `prompt`. */
export function rowIndex(s: PolicyShape, prompt: number, position: number, prev: number): number {
  const base = prompt * s.maxLen + position;
  return s.kind === 'tabular' ? base : base * s.vocab + prev;
}

/** Everything that defines where training stands; enough to resume on any backend. */
export interface PolicyState {
  shape: PolicyShape;
  logits: Float32Array;
  /** Frozen initial policy (π_ref for KL and DPO). */
  ref: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  /** Optimizer steps taken (Adam bias correction). */
  optSteps: number;
  /** REINFORCE moving-average baseline; NaN until the first batch. */
  baseline: number;
}

export interface InitOptions {
  init: 'uniform' | 'base';
  initScale: number;
  seed: number;
}

/** Smoothing of the base model's counts: keeps every answer possible. */
const BASE_PSEUDOCOUNT = 0.5;

/**
 * Initial logits. "base" fits a count model (per position, and per previous
 * token for the autoregressive kind) to the task's plausible answers: like a
 * pretrained base model, it is in the right ballpark and sometimes right, which
 * is what RFT needs to get any signal from an exact-match grader.
 */
export function initialLogits(shape: PolicyShape, task: Task, opts: InitOptions): Float32Array {
  const logits = new Float32Array(paramCount(shape));
  if (opts.init === 'base') fitBase(shape, task, logits);
  if (opts.initScale > 0) {
    for (let i = 0; i < logits.length; i++) {
      logits[i] += opts.initScale * drawNormal(opts.seed, Stream.init, 0, i, 0);
    }
  }
  return logits;
}

function fitBase(shape: PolicyShape, task: Task, logits: Float32Array): void {
  const V = shape.vocab;
  const vocab = new Vocabulary(task.alphabet);
  const counts = new Float64Array(logits.length);
  const tokens = new Int32Array(shape.maxLen);
  const pool = basePool(task);
  for (let p = 0; p < shape.prompts; p++) {
    for (const answer of pool[p] ?? []) {
      let len: number;
      try {
        len = vocab.encodeInto(answer, shape.maxLen, tokens, 0);
      } catch {
        continue; // a plausible answer that does not fit this max_len simply is not in the base corpus
      }
      let prev = EOS;
      for (let t = 0; t < len; t++) {
        counts[rowIndex(shape, p, t, prev) * V + tokens[t]] += 1;
        prev = tokens[t];
      }
    }
  }
  const rows = rowCount(shape);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < V; j++) logits[r * V + j] = Math.log(counts[r * V + j] + BASE_PSEUDOCOUNT);
    // Centre each row so logits stay near zero (softmax is shift-invariant).
    let mean = 0;
    for (let j = 0; j < V; j++) mean += logits[r * V + j];
    mean /= V;
    for (let j = 0; j < V; j++) logits[r * V + j] -= mean;
  }
}

/** Plausible answers per prompt: the task's base corpus, else its demos and both sides of its pairs. */
function basePool(task: Task): string[][] {
  const pool: string[][] = task.items.map(() => []);
  if (task.base) {
    for (const d of task.base) pool[d.prompt]?.push(d.answer);
    return pool;
  }
  for (const d of task.demos) pool[d.prompt]?.push(d.answer);
  for (const pr of task.pairs) pool[pr.prompt]?.push(pr.chosen, pr.rejected);
  return pool;
}

export function newPolicyState(shape: PolicyShape, logits: Float32Array): PolicyState {
  return {
    shape,
    logits,
    ref: logits.slice(),
    adamM: new Float32Array(logits.length),
    adamV: new Float32Array(logits.length),
    optSteps: 0,
    baseline: Number.NaN,
  };
}

export function cloneState(s: PolicyState): PolicyState {
  return {
    shape: { ...s.shape },
    logits: s.logits.slice(),
    ref: s.ref.slice(),
    adamM: s.adamM.slice(),
    adamV: s.adamV.slice(),
    optSteps: s.optSteps,
    baseline: s.baseline,
  };
}

/** Softmax of one row at a temperature, written into `out`; returns log of the normaliser. */
export function softmaxRow(logits: Float32Array, row: number, V: number, temperature: number, out: Float64Array, outOffset: number): number {
  const base = row * V;
  let max = -Infinity;
  for (let j = 0; j < V; j++) if (logits[base + j] > max) max = logits[base + j];
  let sum = 0;
  for (let j = 0; j < V; j++) {
    const w = Math.exp((logits[base + j] - max) / temperature);
    out[outOffset + j] = w;
    sum += w;
  }
  const inv = 1 / sum;
  for (let j = 0; j < V; j++) out[outOffset + j] *= inv;
  return Math.log(sum);
}

/**
 * The policy as probabilities for one prompt: per position, the distribution of
 * the emitted token given that the answer reached that position. For the
 * autoregressive kind it is marginalised over the path so far by forward
 * recursion. Used by --dump-policy and the heatmap.
 */
export function positionMarginals(logits: Float32Array, shape: PolicyShape, prompt: number, temperature = 1): Float64Array[] {
  const V = shape.vocab;
  const out: Float64Array[] = [];
  const row = new Float64Array(V);
  // alive[prev]: probability of having emitted `prev` last without ending (EOS stands for "start").
  let alive = new Float64Array(V);
  alive[EOS] = 1;
  for (let t = 0; t < shape.maxLen; t++) {
    const marginal = new Float64Array(V);
    if (shape.kind === 'tabular') {
      softmaxRow(logits, rowIndex(shape, prompt, t, EOS), V, temperature, marginal, 0);
      out.push(marginal);
      continue;
    }
    const next = new Float64Array(V);
    let total = 0;
    for (let prev = 0; prev < V; prev++) {
      const mass = alive[prev];
      if (mass === 0) continue;
      total += mass;
      softmaxRow(logits, rowIndex(shape, prompt, t, prev), V, temperature, row, 0);
      for (let j = 0; j < V; j++) {
        marginal[j] += mass * row[j];
        if (j !== EOS) next[j] += mass * row[j];
      }
    }
    if (total > 0) for (let j = 0; j < V; j++) marginal[j] /= total;
    out.push(marginal);
    alive = next;
  }
  return out;
}
