/**
 * Drawing answers from the transformer, and the read-outs the page, lessons
 * and CLI need (next-token distribution, sequence log-prob, greedy answer).
 *
 * Draws are keyed as the table policies key them (src/engine/policies/table.ts):
 * the token at answer position t of sample n of a batch uses
 * drawUnit(seed, stream, step, n, t) and the inverse CDF, so a sample depends on
 * its key and its own context only, never on the other rows of the batch.
 *
 * Decoding is incremental: the forward's stored activations are the KV cache.
 * After the prompt is run once, each new token runs `forward` on its own
 * position only (lo = that position), attention reading the earlier keys and
 * values from the activations; the same functions as training, so a decode
 * step computes exactly what a full recompute would (a test checks bit for bit).
 */
import { drawUnit, type StreamId } from '../../engine/prng.ts';
import { EOS } from '../../engine/task.ts';
import { createActivations, forward, logProbAt, packSequences, type Transformer, type TokenSequences } from './model.ts';

export interface DecodeOptions {
  maxLen: number;
  /** Sampling temperature (ignored by greedy decoding). */
  temperature?: number;
  /** Greedy: the first most likely token at each step, no draws. */
  greedy?: boolean;
  seed?: number;
  stream?: StreamId | number;
  step?: number;
}

/** Answers as the engine's TokenBatch holds them: row n at n·maxLen, EOS included when drawn. */
export interface Answers {
  count: number;
  maxLen: number;
  tokens: Int32Array;
  lengths: Int32Array;
}

/**
 * One answer per prompt (each prompt's tokens end with the separator). An
 * answer ends at EOS or after maxLen tokens, as the tables' answers do.
 */
export function decode(model: Transformer, prompts: readonly ArrayLike<number>[], opts: DecodeOptions): Answers {
  const { maxLen } = opts;
  const temperature = opts.temperature ?? 1;
  const greedy = opts.greedy ?? false;
  const seed = opts.seed ?? 0;
  const stream = opts.stream ?? 0;
  const step = opts.step ?? 0;
  const N = prompts.length;
  const V = model.cfg.vocabOut;
  const longest = prompts.reduce((m, p) => Math.max(m, p.length), 0);
  const T = longest + maxLen - 1;
  if (T > model.cfg.context) throw new Error(`a prompt of ${longest} tokens (with the separator) and max_len ${maxLen} need ${T} positions; the model has ${model.cfg.context}`);
  const seq: TokenSequences = {
    B: N,
    T,
    tokens: new Int32Array(N * T),
    targets: new Int32Array(N * T).fill(-1),
    lengths: new Int32Array(N),
    answerStart: new Int32Array(N),
    answerLength: new Int32Array(N),
  };
  prompts.forEach((p, b) => {
    if (p.length < 1) throw new Error(`prompt ${b} is empty: it needs at least the separator`);
    for (let i = 0; i < p.length; i++) seq.tokens[b * T + i] = p[i];
    seq.lengths[b] = p.length;
    seq.answerStart[b] = p.length - 1;
  });
  const out: Answers = { count: N, maxLen, tokens: new Int32Array(N * maxLen), lengths: new Int32Array(N) };
  const acts = createActivations(model, N, T);
  const lo = new Int32Array(N);
  forward(model, acts, seq, temperature, lo);
  let alive = N;
  for (let t = 0; t < maxLen && alive > 0; t++) {
    for (let b = 0; b < N; b++) {
      if (out.lengths[b] > 0) {
        lo[b] = seq.lengths[b]; // finished: no positions to compute
        continue;
      }
      const pos = seq.answerStart[b] + t;
      const bt = b * T + pos;
      const tok = greedy ? argmax(acts.logits, bt * V, V) : inverseCdf(acts.probs, bt * V, V, drawUnit(seed, stream, step, b, t));
      out.tokens[b * maxLen + t] = tok;
      if (tok === EOS || t === maxLen - 1) {
        out.lengths[b] = t + 1;
        seq.answerLength[b] = t + 1;
        lo[b] = seq.lengths[b];
        alive--;
        continue;
      }
      seq.tokens[bt + 1] = tok;
      lo[b] = pos + 1;
      seq.lengths[b] = pos + 2;
    }
    if (alive > 0) forward(model, acts, seq, temperature, lo);
  }
  return out;
}

/** The first token whose cumulative probability exceeds u; the last token with mass if rounding leaves u above the total (as the tables). */
export function inverseCdf(probs: ArrayLike<number>, offset: number, V: number, u: number): number {
  let acc = 0;
  let last = 0;
  for (let j = 0; j < V; j++) {
    const pj = probs[offset + j];
    if (pj > 0) last = j;
    acc += pj;
    if (u < acc) return j;
  }
  return last;
}

/** The first largest entry (ties go to the lower token, as the tables' greedyToken). */
export function argmax(values: ArrayLike<number>, offset: number, V: number): number {
  let best = 0;
  for (let j = 1; j < V; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

// ------------------------------------------------------------------ read-outs

/** π(· | prompt, prefix) at a temperature: the distribution of the answer token after `prefix`. */
export function nextTokenDistribution(model: Transformer, prompt: ArrayLike<number>, prefix: ArrayLike<number>, temperature = 1): Float64Array {
  const V = model.cfg.vocabOut;
  const answer = [...Array.from(prefix), EOS]; // the last token is a placeholder target: it is never read as input
  const seq = packSequences(prompt.length + prefix.length, [{ prompt, answer }]);
  const acts = createActivations(model, 1, seq.T);
  forward(model, acts, seq, temperature);
  const bt = seq.answerStart[0] + prefix.length;
  const out = new Float64Array(V);
  for (let j = 0; j < V; j++) out[j] = Math.exp(logProbAt(acts, V, bt, j));
  return out;
}

/** log π(answer | prompt) at temperature 1, summed over the answer's tokens (EOS included if given). */
export function sequenceLogProb(model: Transformer, prompt: ArrayLike<number>, answer: ArrayLike<number>): number {
  return sequenceLogProbs(model, packSequences(prompt.length + answer.length - 1, [{ prompt, answer }]))[0];
}

/** Per sequence of a packed batch, Σ log π(target) over its answer at temperature 1. */
export function sequenceLogProbs(model: Transformer, seq: TokenSequences): Float64Array {
  const V = model.cfg.vocabOut;
  const acts = createActivations(model, seq.B, seq.T);
  forward(model, acts, seq, 1);
  const out = new Float64Array(seq.B);
  for (let b = 0; b < seq.B; b++) {
    let sum = 0;
    for (let k = 0; k < seq.answerLength[b]; k++) {
      const bt = b * seq.T + seq.answerStart[b] + k;
      sum += logProbAt(acts, V, bt, seq.targets[bt]);
    }
    out[b] = sum;
  }
  return out;
}

/** Greedy decoding until EOS or maxLen: the answer's tokens, EOS left out. */
export function greedyAnswer(model: Transformer, prompt: ArrayLike<number>, maxLen: number): number[] {
  const a = decode(model, [prompt], { maxLen, greedy: true });
  const out = Array.from(a.tokens.subarray(0, a.lengths[0]));
  if (out[out.length - 1] === EOS) out.pop();
  return out;
}
