/**
 * The reference engine: the whole training step in plain TypeScript over typed
 * arrays. The WebGPU backend is tested against it, so every formula lives here
 * once, written for clarity first and speed second (no allocation per sample).
 *
 * Gradients are analytic. For a softmax row π = softmax(z / T) and an upstream
 * u = ∂L/∂log π(a), the row gradient is (u / T)(onehot(a) − π); summed over all
 * visits of a row this is (c_j − C π_j) / T with c_j the summed u of token j
 * and C = Σ_j c_j.
 */
import type { Backend, PairBatch, TokenBatch, UpdateHyper, UpdateRequest, UpdateStats } from './backend.ts';
import { drawUnit, type StreamId } from './prng.ts';
import { cloneState, paramCount, type PolicyShape, type PolicyState, rowCount, rowIndex } from './policy.ts';
import { EOS } from './task.ts';
import { computeAdvantages } from './advantages.ts';
import { dpoLoss } from './dpo-loss.ts';
import { LOGIT_LIMIT } from './backend.ts';

/**
 * Sums that cancel to within this fraction of their terms' magnitude are set to
 * exactly 0. Such a sum is rounding noise (e.g. group advantages that add up to
 * zero); Adam would divide it by its own tiny magnitude and turn it into a full
 * step whose sign depends on float rounding, which differs between CPU and GPU.
 */
export const CANCEL_EPS = 1e-5;

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

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly label = 'cpu';
  private state: PolicyState;
  private readonly shape: PolicyShape;
  private readonly V: number;
  private readonly L: number;
  private readonly cur: RowCache;
  private readonly ref: RowCache;
  // Gradient accumulation over the rows a batch visits.
  private readonly coef: Float64Array;
  private readonly absCoef: Float64Array;
  private readonly entWeight: Float64Array;
  private readonly rowSeen: Int32Array;
  private visited: Int32Array;
  private visitedCount = 0;
  private visitEpoch = 1;
  private scratch = new Float64Array(0);
  // Last good state, restored when an update goes non-finite.
  private readonly saved: { logits: Float32Array; m: Float32Array; v: Float32Array };

  constructor(state: PolicyState) {
    this.state = cloneState(state);
    this.shape = state.shape;
    this.V = state.shape.vocab;
    this.L = state.shape.maxLen;
    const rows = rowCount(this.shape);
    const params = paramCount(this.shape);
    this.cur = new RowCache(rows, this.V);
    this.ref = new RowCache(rows, this.V);
    this.coef = new Float64Array(params);
    this.absCoef = new Float64Array(params);
    this.entWeight = new Float64Array(rows);
    this.rowSeen = new Int32Array(rows);
    this.visited = new Int32Array(1024);
    this.saved = { logits: new Float32Array(params), m: new Float32Array(params), v: new Float32Array(params) };
  }

  async sample(step: number, stream: StreamId, promptOf: Int32Array, temperature: number, seed: number): Promise<TokenBatch> {
    return this.sampleSync(step, stream, promptOf, temperature, seed);
  }

  sampleSync(step: number, stream: StreamId, promptOf: Int32Array, T: number, seed: number): TokenBatch {
    const { V, L, shape } = this;
    const N = promptOf.length;
    const tokens = new Int32Array(N * L);
    const lengths = new Int32Array(N);
    const logits = this.state.logits;
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

  async update(step: number, req: UpdateRequest, hyper: UpdateHyper): Promise<UpdateStats> {
    return this.updateSync(step, req, hyper);
  }

  updateSync(_step: number, req: UpdateRequest, hyper: UpdateHyper): UpdateStats {
    this.saveGoodState();
    let stats: UpdateStats;
    if (req.objective === 'rft') stats = this.rftUpdate(req.samples, req.rewards, hyper);
    else if (req.objective === 'dpo') stats = this.dpoUpdate(req.samples, req.pairs, hyper);
    else stats = this.sftUpdate(req.samples, req.demos, hyper);
    if (!stats.finite || !Number.isFinite(stats.loss) || !allWithinLimit(this.state.logits)) {
      this.restoreGoodState();
      stats.finite = false;
    }
    return stats;
  }

  async readState(): Promise<PolicyState> {
    return cloneState(this.state);
  }

  async writeState(state: PolicyState): Promise<void> {
    this.state = cloneState(state);
    this.cur.invalidate();
    this.ref.invalidate();
  }

  /**
   * When set, every optimizer step appends the logits it started from and the
   * unclipped gradient: tests compare them with finite differences and the
   * WebGPU backend. Not part of the Backend interface.
   */
  gradientLog: { theta: Float32Array; grad: Float64Array }[] | null = null;

  /** Direct access for tests and the dump; not part of the Backend interface. */
  get logits(): Float32Array {
    return this.state.logits;
  }

  dispose(): void {}

  // ---------------------------------------------------------------- RFT

  private rftUpdate(samples: TokenBatch, rewards: Float32Array, hyper: UpdateHyper): UpdateStats {
    const { L, shape } = this;
    const T = hyper.temperature;
    const rft = hyper.rft;
    const N = samples.count;
    const G = hyper.num_generations;
    const { advantages, baseline } = computeAdvantages(rewards, G, rft, this.state.baseline);
    this.state.baseline = baseline;

    // Old log-probs (the sampling policy) and the exact per-state metrics, before any update.
    const oldLogp = this.buffer(N * L);
    const logits = this.state.logits;
    let tokenCount = 0;
    let klSum = 0;
    let entSum = 0;
    for (let n = 0; n < N; n++) {
      const p = samples.promptOf[n];
      let prev = EOS;
      for (let t = 0; t < samples.lengths[n]; t++) {
        const tok = samples.tokens[n * L + t];
        const ri = rowIndex(shape, p, t, prev);
        this.cur.ensure(logits, ri, T);
        oldLogp[n * L + t] = this.cur.logProb(logits, ri, tok, T);
        klSum += this.rowKl(ri, T);
        entSum += this.cur.entropy[ri];
        tokenCount++;
        prev = tok;
      }
    }

    const epsLow = rft.epsilon;
    const epsHigh = rft.epsilon_high ?? rft.epsilon;
    const lo = 1 - epsLow;
    const hi = 1 + epsHigh;
    const beta = rft.beta;
    const entCoef = rft.entropy_coef;
    let lossSum = 0;
    let clipSum = 0;
    let gradNorm = 0;
    let finite = true;
    for (let it = 0; it < rft.num_iterations; it++) {
      if (it > 0) this.cur.invalidate();
      let loss = 0;
      let clipped = 0;
      for (let n = 0; n < N; n++) {
        const p = samples.promptOf[n];
        const A = advantages[n];
        const len = samples.lengths[n];
        const w = tokenWeight(rft.loss_type, len, N, tokenCount, L);
        let prev = EOS;
        for (let t = 0; t < len; t++) {
          const tok = samples.tokens[n * L + t];
          const ri = this.cur.ensure(logits, rowIndex(shape, p, t, prev), T);
          const logp = this.cur.logProb(logits, ri, tok, T);
          const ratio = Math.exp(logp - oldLogp[n * L + t]);
          const unclipped = ratio * A;
          const clippedObj = Math.min(Math.max(ratio, lo), hi) * A;
          // PPO: the gradient flows through the smaller objective; it is zero where the clip binds.
          const useUnclipped = unclipped <= clippedObj;
          let tokenLoss = -(useUnclipped ? unclipped : clippedObj);
          let u = useUnclipped ? -w * A * ratio : 0;
          if ((ratio < lo && A < 0) || (ratio > hi && A > 0)) clipped++;
          if (beta > 0) {
            this.ref.ensure(this.state.ref, ri, T);
            const q = this.ref.logProb(this.state.ref, ri, tok, T) - logp;
            const eq = Math.exp(q);
            tokenLoss += beta * (eq - q - 1); // k3 estimator of KL(π ‖ π_ref)
            u += w * beta * (1 - eq);
          }
          loss += w * tokenLoss;
          if (entCoef > 0) {
            // TRL's entropy bonus is the mean entropy over every answer token, whatever loss_type averages the policy term.
            loss -= (entCoef * this.cur.entropy[ri]) / tokenCount;
            this.entWeight[ri] += entCoef / tokenCount;
          }
          this.accumulate(ri, tok, u);
          prev = tok;
        }
      }
      lossSum += loss;
      clipSum += tokenCount > 0 ? clipped / tokenCount : 0;
      gradNorm = this.applyGradient(T, hyper);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        finite = false;
        break;
      }
    }
    this.cur.invalidate();
    const iters = rft.num_iterations;
    return {
      loss: lossSum / iters,
      kl: tokenCount ? klSum / tokenCount : 0,
      entropy: tokenCount ? entSum / tokenCount : 0,
      grad_norm: gradNorm,
      clip_ratio: clipSum / iters,
      finite,
    };
  }

  // ---------------------------------------------------------------- DPO

  private dpoUpdate(samples: TokenBatch, pairs: PairBatch, hyper: UpdateHyper): UpdateStats {
    const { L } = this;
    const dpo = hyper.dpo;
    const { kl, entropy } = this.measure(samples, 1);
    const K = pairs.count;
    const ipo = dpo.loss_type === 'ipo';
    let loss = 0;
    let rc = 0, rr = 0, acc = 0, lc = 0, lr = 0;
    for (let k = 0; k < K; k++) {
      const p = pairs.promptOf[k];
      const lenC = pairs.chosenLen[k];
      const lenR = pairs.rejectedLen[k];
      // IPO compares per-token means of the log-ratios (as TRL does); the others compare sums.
      // The logged rewards and log-probs are sums for every loss type, as in TRL.
      const normC = ipo ? 1 / lenC : 1;
      const normR = ipo ? 1 / lenR : 1;
      const piC = this.seqLogp(this.state.logits, this.cur, p, pairs.chosen, k * L, lenC);
      const piR = this.seqLogp(this.state.logits, this.cur, p, pairs.rejected, k * L, lenR);
      const refC = this.seqLogp(this.state.ref, this.ref, p, pairs.chosen, k * L, lenC);
      const refR = this.seqLogp(this.state.ref, this.ref, p, pairs.rejected, k * L, lenR);
      const h = (piC - refC) * normC - (piR - refR) * normR;
      const { loss: l, dLdh } = dpoLoss(dpo.loss_type, h, dpo.beta, dpo.label_smoothing);
      loss += l;
      const g = dLdh / K;
      this.accumulateSequence(p, pairs.chosen, k * L, lenC, g * normC);
      this.accumulateSequence(p, pairs.rejected, k * L, lenR, -g * normR);
      const rewardC = dpo.beta * (piC - refC);
      const rewardR = dpo.beta * (piR - refR);
      rc += rewardC;
      rr += rewardR;
      if (rewardC > rewardR) acc++;
      lc += piC;
      lr += piR;
    }
    if (K === 0) {
      // Online pairs can all tie (every candidate scored the same): nothing to learn from this step.
      return { loss: 0, kl, entropy, grad_norm: 0, finite: true, ...dpoStats(0, 0, 0, 0, 0, 1) };
    }
    const gradNorm = this.applyGradient(1, hyper);
    return {
      loss: loss / K,
      kl,
      entropy,
      grad_norm: gradNorm,
      finite: Number.isFinite(gradNorm),
      ...dpoStats(rc, rr, acc, lc, lr, K),
    };
  }

  // ---------------------------------------------------------------- SFT

  private sftUpdate(samples: TokenBatch, demos: TokenBatch, hyper: UpdateHyper): UpdateStats {
    const { L, V, shape } = this;
    const { kl, entropy } = this.measure(samples, 1);
    const logits = this.state.logits;
    let tokenCount = 0;
    for (let n = 0; n < demos.count; n++) tokenCount += demos.lengths[n];
    let nll = 0;
    let correct = 0;
    const u = tokenCount ? -1 / tokenCount : 0;
    for (let n = 0; n < demos.count; n++) {
      const p = demos.promptOf[n];
      let prev = EOS;
      for (let t = 0; t < demos.lengths[n]; t++) {
        const tok = demos.tokens[n * L + t];
        const ri = this.cur.ensure(logits, rowIndex(shape, p, t, prev), 1);
        nll -= this.cur.logProb(logits, ri, tok, 1);
        // Greedy prediction: the first token with the highest logit.
        let best = 0;
        for (let j = 1; j < V; j++) if (logits[ri * V + j] > logits[ri * V + best]) best = j;
        if (best === tok) correct++;
        this.accumulate(ri, tok, u);
        prev = tok;
      }
    }
    const gradNorm = tokenCount ? this.applyGradient(1, hyper) : 0;
    return {
      loss: tokenCount ? nll / tokenCount : 0,
      kl,
      entropy,
      grad_norm: gradNorm,
      mean_token_accuracy: tokenCount ? correct / tokenCount : 0,
      finite: Number.isFinite(gradNorm),
    };
  }

  // ---------------------------------------------------------------- shared pieces

  /** Exact mean KL(π‖π_ref) and entropy over the states a batch visits. */
  private measure(samples: TokenBatch, T: number): { kl: number; entropy: number } {
    const { L, shape } = this;
    let kl = 0, ent = 0, count = 0;
    for (let n = 0; n < samples.count; n++) {
      const p = samples.promptOf[n];
      let prev = EOS;
      for (let t = 0; t < samples.lengths[n]; t++) {
        const ri = this.cur.ensure(this.state.logits, rowIndex(shape, p, t, prev), T);
        kl += this.rowKl(ri, T);
        ent += this.cur.entropy[ri];
        count++;
        prev = samples.tokens[n * L + t];
      }
    }
    return { kl: count ? kl / count : 0, entropy: count ? ent / count : 0 };
  }

  /** KL(π(·|s) ‖ π_ref(·|s)) for a row already current in `cur`. */
  private rowKl(ri: number, T: number): number {
    const V = this.V;
    this.ref.ensure(this.state.ref, ri, T);
    const logits = this.state.logits;
    const refLogits = this.state.ref;
    let kl = 0;
    for (let j = 0; j < V; j++) {
      const pj = this.cur.probs[ri * V + j];
      if (pj === 0) continue;
      kl += pj * (this.cur.logProb(logits, ri, j, T) - this.ref.logProb(refLogits, ri, j, T));
    }
    return kl;
  }

  private seqLogp(logits: Float32Array, cache: RowCache, p: number, tokens: Int32Array, offset: number, len: number): number {
    let s = 0;
    let prev = EOS;
    for (let t = 0; t < len; t++) {
      const tok = tokens[offset + t];
      const ri = cache.ensure(logits, rowIndex(this.shape, p, t, prev), 1);
      s += cache.logProb(logits, ri, tok, 1);
      prev = tok;
    }
    return s;
  }

  private accumulateSequence(p: number, tokens: Int32Array, offset: number, len: number, u: number): void {
    let prev = EOS;
    for (let t = 0; t < len; t++) {
      const tok = tokens[offset + t];
      this.cur.ensure(this.state.logits, rowIndex(this.shape, p, t, prev), 1);
      this.accumulate(rowIndex(this.shape, p, t, prev), tok, u);
      prev = tok;
    }
  }

  /** Adds upstream u = ∂L/∂log π(tok | row) to the row's token coefficient. */
  private accumulate(ri: number, tok: number, u: number): void {
    if (this.rowSeen[ri] !== this.visitEpoch) {
      this.rowSeen[ri] = this.visitEpoch;
      if (this.visitedCount === this.visited.length) {
        const grown = new Int32Array(this.visited.length * 2);
        grown.set(this.visited);
        this.visited = grown;
      }
      this.visited[this.visitedCount++] = ri;
    }
    this.coef[ri * this.V + tok] += u;
    this.absCoef[ri * this.V + tok] += Math.abs(u);
  }

  /**
   * Turns the accumulated coefficients into the logit gradient (in place, in
   * `coef`), clips it, takes one optimizer step and clears the accumulators.
   * Returns the gradient norm before clipping.
   */
  private applyGradient(T: number, hyper: UpdateHyper): number {
    const V = this.V;
    const { coef, absCoef, entWeight } = this;
    const probs = this.cur.probs;
    const logits = this.state.logits;
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
    const norm = Math.sqrt(sq);
    this.gradientLog?.push({ theta: logits.slice(), grad: coef.slice() });
    const opt = hyper.optimizer;
    const maxNorm = opt.max_grad_norm;
    const scale = maxNorm !== null && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
    this.optimizerStep(scale, hyper);
    for (let k = 0; k < this.visitedCount; k++) {
      const base = this.visited[k] * V;
      coef.fill(0, base, base + V);
      absCoef.fill(0, base, base + V);
      entWeight[this.visited[k]] = 0;
    }
    this.visitedCount = 0;
    this.visitEpoch++;
    this.cur.invalidate();
    return norm;
  }

  private optimizerStep(scale: number, hyper: UpdateHyper): void {
    const opt = hyper.optimizer;
    const lr = opt.learning_rate;
    const theta = this.state.logits;
    const g = this.coef;
    const n = theta.length;
    if (opt.name === 'sgd') {
      // Only visited rows have a gradient.
      for (let k = 0; k < this.visitedCount; k++) {
        const base = this.visited[k] * this.V;
        for (let j = base; j < base + this.V; j++) theta[j] -= lr * scale * g[j];
      }
      this.state.optSteps++;
      return;
    }
    const b1 = opt.adam_beta1;
    const b2 = opt.adam_beta2;
    const t = ++this.state.optSteps;
    const bc1 = 1 - Math.pow(b1, t);
    const bc2 = 1 - Math.pow(b2, t);
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    const eps = opt.adam_epsilon;
    const m = this.state.adamM;
    const v = this.state.adamV;
    for (let i = 0; i < n; i++) {
      const gi = g[i] * scale;
      const mi = b1 * m[i] + (1 - b1) * gi;
      const vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      if (mi !== 0) theta[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }

  private saveGoodState(): void {
    this.saved.logits.set(this.state.logits);
    this.saved.m.set(this.state.adamM);
    this.saved.v.set(this.state.adamV);
    this.savedSteps = this.state.optSteps;
    this.savedBaseline = this.state.baseline;
  }
  private savedSteps = 0;
  private savedBaseline = Number.NaN;

  private restoreGoodState(): void {
    this.state.logits.set(this.saved.logits);
    this.state.adamM.set(this.saved.m);
    this.state.adamV.set(this.saved.v);
    this.state.optSteps = this.savedSteps;
    this.state.baseline = this.savedBaseline;
    this.cur.invalidate();
    // Accumulators may hold NaN if the update broke off mid-way.
    this.coef.fill(0);
    this.absCoef.fill(0);
    this.entWeight.fill(0);
    this.visitedCount = 0;
    this.visitEpoch++;
  }

  private buffer(n: number): Float64Array {
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    return this.scratch;
  }
}

/** Per-token weight in the RFT loss (TRL loss_type). */
export function tokenWeight(lossType: 'grpo' | 'dapo' | 'dr_grpo', len: number, N: number, tokenCount: number, maxLen: number): number {
  if (lossType === 'grpo') return 1 / (len * N); // mean over the sequence, then over sequences
  if (lossType === 'dapo') return 1 / tokenCount; // mean over every token of the batch
  return 1 / (N * maxLen); // Dr. GRPO: a constant normaliser, no length bias
}

/** DPO's TRL metrics from sums over K pairs (shared by both backends). */
export function dpoStats(rc: number, rr: number, acc: number, lc: number, lr: number, K: number) {
  return {
    'rewards/chosen': rc / K,
    'rewards/rejected': rr / K,
    'rewards/margins': (rc - rr) / K,
    'rewards/accuracies': acc / K,
    'logps/chosen': lc / K,
    'logps/rejected': lr / K,
  };
}

/** Every value finite and within ±LOGIT_LIMIT (NaN fails the comparison). */
function allWithinLimit(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) <= LOGIT_LIMIT)) return false;
  return true;
}
