/**
 * The first two policy models: tables of logits. "tabular" has one softmax
 * row per (prompt, position); "autoregressive" one per (prompt, position,
 * previous token), with EOS standing in for "no previous token" at position 0.
 * A visit's handle is its row.
 *
 * Gradients are analytic. For a softmax row π = softmax(z / T) and an upstream
 * u = ∂L/∂log π(a), the row gradient is (u / T)(onehot(a) − π); summed over all
 * visits of a row this is (c_j − C π_j) / T with c_j the summed u of token j
 * and C = Σ_j c_j.
 */
import type { TokenBatch } from '../backend.ts';
import { CANCEL_EPS } from '../objectives/constants.ts';
import { drawNormal, drawUnit, Stream, type StreamId } from '../prng.ts';
import { EOS, type Task, Vocabulary } from '../task.ts';
import type { CpuPolicyModel, InitOptions, PolicyKindEntry, PolicyParameters, PolicyReadouts, PolicyShape } from './types.ts';

export function rowCount(s: PolicyShape): number {
  return s.kind === 'tabular' ? s.prompts * s.maxLen : s.prompts * s.maxLen * s.vocab;
}

export function tableParamCount(s: PolicyShape): number {
  return rowCount(s) * s.vocab;
}

/** Index of the softmax row that emits the token at `position` of an answer to `prompt`. */
export function rowIndex(s: PolicyShape, prompt: number, position: number, prev: number): number {
  const base = prompt * s.maxLen + position;
  return s.kind === 'tabular' ? base : base * s.vocab + prev;
}

/** The walk over one answer: the row of each of its `len` tokens into `out`. */
export function answerRows(s: PolicyShape, prompt: number, tokens: ArrayLike<number>, offset: number, len: number, out: Int32Array): void {
  let prev = EOS;
  for (let t = 0; t < len; t++) {
    out[t] = rowIndex(s, prompt, t, prev);
    prev = tokens[offset + t];
  }
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

// ------------------------------------------------------------------ initial parameters

/** Smoothing of the base model's counts: keeps every answer possible. */
const BASE_PSEUDOCOUNT = 0.5;

/**
 * Initial logits. "base" fits a count model (per position, and per previous
 * token for the autoregressive kind) to the task's plausible answers: like a
 * pretrained base model, it is in the right ballpark and sometimes right, which
 * is what RFT needs to get any signal from an exact-match grader.
 */
function initialLogits(shape: PolicyShape, task: Task, opts: InitOptions): Float32Array {
  const logits = new Float32Array(tableParamCount(shape));
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
  const rows = new Int32Array(shape.maxLen);
  const pool = basePool(task);
  for (let p = 0; p < shape.prompts; p++) {
    for (const answer of pool[p] ?? []) {
      let len: number;
      try {
        len = vocab.encodeInto(answer, shape.maxLen, tokens, 0);
      } catch {
        continue; // a plausible answer that does not fit this max_len simply is not in the base corpus
      }
      answerRows(shape, p, tokens, 0, len, rows);
      for (let t = 0; t < len; t++) counts[rows[t] * V + tokens[t]] += 1;
    }
  }
  const rowTotal = rowCount(shape);
  for (let r = 0; r < rowTotal; r++) {
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

// ------------------------------------------------------------------ CPU model

/** Caches of one softmax row family (current policy or reference) at one temperature. */
class RowCache {
  readonly probs: Float64Array;
  /** log Σ exp((z − max)/T) and max, so log π_j = (z_j − max)/T − logSum. */
  readonly max: Float64Array;
  readonly logSum: Float64Array;
  readonly entropy: Float64Array;
  private readonly stamp: Int32Array;
  private epoch = 1;
  private temperature = Number.NaN;

  constructor(
    rows: number,
    private readonly V: number,
  ) {
    this.probs = new Float64Array(rows * V);
    this.max = new Float64Array(rows);
    this.logSum = new Float64Array(rows);
    this.entropy = new Float64Array(rows);
    this.stamp = new Int32Array(rows);
  }

  invalidate(): void {
    this.epoch++;
  }

  /** Makes row `r` of `logits` at temperature `T` current and returns r. */
  ensure(logits: Float32Array, r: number, T: number): number {
    if (T !== this.temperature) {
      this.temperature = T;
      this.epoch++;
    }
    if (this.stamp[r] === this.epoch) return r;
    this.stamp[r] = this.epoch;
    const V = this.V;
    const base = r * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const w = Math.exp((logits[base + j] - max) / T);
      this.probs[base + j] = w;
      sum += w;
    }
    const logSum = Math.log(sum);
    let h = 0;
    for (let j = 0; j < V; j++) {
      const p = this.probs[base + j] / sum;
      this.probs[base + j] = p;
      if (p > 0) h -= p * ((logits[base + j] - max) / T - logSum);
    }
    this.max[r] = max;
    this.logSum[r] = logSum;
    this.entropy[r] = h;
    return r;
  }

  logProb(logits: Float32Array, r: number, token: number, T: number): number {
    return (logits[r * this.V + token] - this.max[r]) / T - this.logSum[r];
  }
}

export class TableModel implements CpuPolicyModel {
  readonly grad: Float64Array;
  private readonly V: number;
  private readonly L: number;
  private logits: Float32Array = new Float32Array(0);
  private refLogits: Float32Array = new Float32Array(0);
  private readonly cur: RowCache;
  private readonly ref: RowCache;
  // Upstream accumulation over the rows a batch visits.
  private readonly absCoef: Float64Array;
  private readonly entWeight: Float64Array;
  private readonly rowSeen: Int32Array;
  private visited: Int32Array;
  private visitedCount = 0;
  private visitEpoch = 1;

  constructor(readonly shape: PolicyShape) {
    this.V = shape.vocab;
    this.L = shape.maxLen;
    const rows = rowCount(shape);
    const params = tableParamCount(shape);
    this.cur = new RowCache(rows, this.V);
    this.ref = new RowCache(rows, this.V);
    // The upstream coefficients c_j become the gradient in place (backward).
    this.grad = new Float64Array(params);
    this.absCoef = new Float64Array(params);
    this.entWeight = new Float64Array(rows);
    this.rowSeen = new Int32Array(rows);
    this.visited = new Int32Array(1024);
  }

  bind(params: Float32Array, ref: Float32Array): void {
    this.logits = params;
    this.refLogits = ref;
    this.invalidate();
    this.ref.invalidate();
  }

  invalidate(): void {
    this.cur.invalidate();
  }

  sample(step: number, stream: StreamId, promptOf: Int32Array, T: number, seed: number): TokenBatch {
    const { V, L, shape } = this;
    const N = promptOf.length;
    const tokens = new Int32Array(N * L);
    const lengths = new Int32Array(N);
    const logits = this.logits;
    const probs = this.cur.probs;
    for (let n = 0; n < N; n++) {
      const p = promptOf[n];
      let prev = EOS;
      let len = L;
      for (let t = 0; t < L; t++) {
        const r = this.cur.ensure(logits, rowIndex(shape, p, t, prev), T);
        const u = drawUnit(seed, stream, step, n, t);
        // Inverse CDF: the first token whose cumulative probability exceeds u.
        // Falls back to the last token with mass if rounding leaves u above the total.
        let tok = -1;
        let last = 0;
        let acc = 0;
        for (let j = 0; j < V; j++) {
          const pj = probs[r * V + j];
          if (pj > 0) last = j;
          acc += pj;
          if (u < acc) {
            tok = j;
            break;
          }
        }
        if (tok < 0) tok = last;
        tokens[n * L + t] = tok;
        if (tok === EOS) {
          len = t + 1;
          break;
        }
        prev = tok;
      }
      lengths[n] = len;
    }
    return { count: N, promptOf: promptOf.slice(), tokens, lengths };
  }

  visits(prompt: number, tokens: Int32Array, offset: number, len: number, T: number, out: Int32Array): void {
    answerRows(this.shape, prompt, tokens, offset, len, out);
    for (let t = 0; t < len; t++) this.cur.ensure(this.logits, out[t], T);
  }

  logProb(v: number, token: number, T: number): number {
    return this.cur.logProb(this.logits, v, token, T);
  }

  refLogProb(v: number, token: number, T: number): number {
    this.ref.ensure(this.refLogits, v, T);
    return this.ref.logProb(this.refLogits, v, token, T);
  }

  entropy(v: number): number {
    return this.cur.entropy[v];
  }

  klToReference(v: number, T: number): number {
    const V = this.V;
    this.ref.ensure(this.refLogits, v, T);
    let kl = 0;
    for (let j = 0; j < V; j++) {
      const pj = this.cur.probs[v * V + j];
      if (pj === 0) continue;
      kl += pj * (this.cur.logProb(this.logits, v, j, T) - this.ref.logProb(this.refLogits, v, j, T));
    }
    return kl;
  }

  greedyToken(v: number): number {
    const V = this.V;
    const logits = this.logits;
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[v * V + j] > logits[v * V + best]) best = j;
    return best;
  }

  addUpstream(v: number, token: number, u: number): void {
    if (this.rowSeen[v] !== this.visitEpoch) {
      this.rowSeen[v] = this.visitEpoch;
      if (this.visitedCount === this.visited.length) {
        const grown = new Int32Array(this.visited.length * 2);
        grown.set(this.visited);
        this.visited = grown;
      }
      this.visited[this.visitedCount++] = v;
    }
    this.grad[v * this.V + token] += u;
    this.absCoef[v * this.V + token] += Math.abs(u);
  }

  addEntropyUpstream(v: number, dLdH: number): void {
    this.entWeight[v] -= dLdH;
  }

  backward(T: number): number {
    const V = this.V;
    const { grad: coef, absCoef, entWeight } = this;
    const probs = this.cur.probs;
    const logits = this.logits;
    let sq = 0;
    for (let k = 0; k < this.visitedCount; k++) {
      const ri = this.visited[k];
      const base = ri * V;
      let C = 0;
      let mag = 0;
      for (let j = 0; j < V; j++) {
        let c = coef[base + j];
        if (Math.abs(c) <= CANCEL_EPS * absCoef[base + j]) c = 0;
        coef[base + j] = c;
        C += c;
        mag += absCoef[base + j];
      }
      if (Math.abs(C) <= CANCEL_EPS * mag) C = 0;
      const e = entWeight[ri];
      const H = this.cur.entropy[ri];
      for (let j = 0; j < V; j++) {
        let g = (coef[base + j] - C * probs[base + j]) / T;
        if (e !== 0) g += (e * probs[base + j] * (this.cur.logProb(logits, ri, j, T) + H)) / T;
        coef[base + j] = g;
        sq += g * g;
      }
    }
    return sq;
  }

  clearGradient(): void {
    const V = this.V;
    for (let k = 0; k < this.visitedCount; k++) {
      const base = this.visited[k] * V;
      this.grad.fill(0, base, base + V);
      this.absCoef.fill(0, base, base + V);
      this.entWeight[this.visited[k]] = 0;
    }
    this.visitedCount = 0;
    this.visitEpoch++;
  }

  /** After a broken-off update the accumulators may hold NaN anywhere: clear them all. */
  reset(): void {
    this.grad.fill(0);
    this.absCoef.fill(0);
    this.entWeight.fill(0);
    this.visitedCount = 0;
    this.visitEpoch++;
    this.invalidate();
  }
}

// ------------------------------------------------------------------ read-outs

const paramsOf = (policy: PolicyParameters, which: 'policy' | 'reference') => (which === 'policy' ? policy.params : policy.ref);

export const tableReadouts: PolicyReadouts = {
  nextTokenDistribution(policy, prompt, prefix, temperature = 1) {
    const { shape } = policy;
    const probs = new Float64Array(shape.vocab);
    const prev = prefix.length > 0 ? prefix[prefix.length - 1] : EOS;
    softmaxRow(policy.params, rowIndex(shape, prompt, prefix.length, prev), shape.vocab, temperature, probs, 0);
    return probs;
  },

  sequenceLogProb(policy, which, prompt, tokens) {
    const { shape } = policy;
    const logits = paramsOf(policy, which);
    const rows = new Int32Array(tokens.length);
    answerRows(shape, prompt, tokens, 0, tokens.length, rows);
    const probs = new Float64Array(shape.vocab);
    let sum = 0;
    for (let t = 0; t < tokens.length; t++) {
      softmaxRow(logits, rows[t], shape.vocab, 1, probs, 0);
      sum += Math.log(probs[tokens[t]]);
    }
    return sum;
  },

  greedyAnswer(policy, prompt) {
    const out: number[] = [];
    for (let t = 0; t < policy.shape.maxLen; t++) {
      const probs = tableReadouts.nextTokenDistribution(policy, prompt, out);
      let best = 0;
      for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
      if (best === EOS) break;
      out.push(best);
    }
    return out;
  },

  /** For the autoregressive kind, marginalised over the path so far by forward recursion. */
  positionMarginals(policy, prompt, temperature = 1) {
    const { shape, params: logits } = policy;
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
  },
};

function sizeHint(s: PolicyShape): string {
  const size = s.kind === 'autoregressive' ? `${s.prompts} prompts × max_len ${s.maxLen} × vocabulary ${s.vocab}²` : `${s.prompts} prompts × max_len ${s.maxLen} × vocabulary ${s.vocab}`;
  return `the policy has ${size} logits; reduce num_prompts or policy.max_len` + (s.kind === 'autoregressive' ? ', or use policy.kind "tabular"' : '');
}

/** The registry entry of both table kinds (they differ only in rowIndex). */
export const tableEntry: PolicyKindEntry = {
  paramCount: tableParamCount,
  initialParams: initialLogits,
  cpu: (shape) => new TableModel(shape),
  readouts: tableReadouts,
  sizeHint,
};
