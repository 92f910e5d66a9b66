/**
 * A deliberately plain, slow, float64 re-statement of the objectives, written
 * from the formulas (TRL's GRPO/DPO/SFT losses) rather than from the engine's
 * code. Tests differentiate it numerically and compare with the engine's
 * analytic gradients.
 */
import type { PairBatch, TokenBatch } from '../../src/engine/backend.ts';
import type { Config } from '../../src/engine/config.ts';
import type { PolicyShape } from '../../src/engine/policy.ts';
import { rowIndex } from '../../src/engine/policies/table.ts';

export function logSoftmax(theta: ArrayLike<number>, row: number, V: number, T: number): number[] {
  const z = Array.from({ length: V }, (_, j) => theta[row * V + j] / T);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

/** Visits every (row, token) of a batch in order. */
export function forEachToken(shape: PolicyShape, b: { promptOf: Int32Array; tokens: Int32Array; lengths: Int32Array }, n: number, fn: (row: number, tok: number, t: number) => void) {
  let prev = 0;
  for (let t = 0; t < b.lengths[n]; t++) {
    const tok = b.tokens[n * shape.maxLen + t];
    fn(rowIndex(shape, b.promptOf[n], t, prev), tok, t);
    prev = tok;
  }
}

export function rftLoss(theta: ArrayLike<number>, old: ArrayLike<number>, ref: ArrayLike<number>, shape: PolicyShape, s: TokenBatch, adv: ArrayLike<number>, rft: Config['rft'], T: number): number {
  const V = shape.vocab;
  const N = s.count;
  let totalTokens = 0;
  for (let n = 0; n < N; n++) totalTokens += s.lengths[n];
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const w = rft.loss_type === 'grpo' ? 1 / (s.lengths[n] * N) : rft.loss_type === 'dapo' ? 1 / totalTokens : 1 / (N * shape.maxLen);
    forEachToken(shape, s, n, (row, tok) => {
      const lp = logSoftmax(theta, row, V, T);
      const lpOld = logSoftmax(old, row, V, T);
      const lpRef = logSoftmax(ref, row, V, T);
      const ratio = Math.exp(lp[tok] - lpOld[tok]);
      const hi = 1 + (rft.epsilon_high ?? rft.epsilon);
      const clipped = Math.min(Math.max(ratio, 1 - rft.epsilon), hi);
      let l = -Math.min(ratio * adv[n], clipped * adv[n]);
      const q = lpRef[tok] - lp[tok];
      l += rft.beta * (Math.exp(q) - q - 1);
      // TRL's entropy bonus: the mean entropy over all answer tokens, for every loss_type.
      const H = -lp.reduce((acc, x) => acc + Math.exp(x) * x, 0);
      loss += w * l - (rft.entropy_coef * H) / totalTokens;
    });
  }
  return loss;
}

export function seqLogp(theta: ArrayLike<number>, shape: PolicyShape, p: number, tokens: Int32Array, off: number, len: number): number {
  let s = 0;
  let prev = 0;
  for (let t = 0; t < len; t++) {
    const tok = tokens[off + t];
    s += logSoftmax(theta, rowIndex(shape, p, t, prev), shape.vocab, 1)[tok];
    prev = tok;
  }
  return s;
}

const logSigmoid = (x: number) => -Math.log1p(Math.exp(-x));

export function dpoLossRef(theta: ArrayLike<number>, ref: ArrayLike<number>, shape: PolicyShape, pairs: PairBatch, dpo: Config['dpo']): number {
  const L = shape.maxLen;
  let total = 0;
  for (let k = 0; k < pairs.count; k++) {
    const ipo = dpo.loss_type === 'ipo';
    const nc = ipo ? pairs.chosenLen[k] : 1;
    const nr = ipo ? pairs.rejectedLen[k] : 1;
    const p = pairs.promptOf[k];
    const c = seqLogp(theta, shape, p, pairs.chosen, k * L, pairs.chosenLen[k]) / nc;
    const r = seqLogp(theta, shape, p, pairs.rejected, k * L, pairs.rejectedLen[k]) / nr;
    const c0 = seqLogp(ref, shape, p, pairs.chosen, k * L, pairs.chosenLen[k]) / nc;
    const r0 = seqLogp(ref, shape, p, pairs.rejected, k * L, pairs.rejectedLen[k]) / nr;
    const h = c - c0 - (r - r0);
    const b = dpo.beta;
    const ls = dpo.label_smoothing;
    if (dpo.loss_type === 'sigmoid') total += -logSigmoid(b * h);
    else if (dpo.loss_type === 'cdpo') total += -logSigmoid(b * h) * (1 - ls) - logSigmoid(-b * h) * ls;
    else if (dpo.loss_type === 'robust') total += (-logSigmoid(b * h) * (1 - ls) + logSigmoid(-b * h) * ls) / (1 - 2 * ls);
    else if (dpo.loss_type === 'hinge') total += Math.max(0, 1 - b * h);
    else total += (h - 1 / (2 * b)) ** 2;
  }
  return total / pairs.count;
}

export function sftLossRef(theta: ArrayLike<number>, shape: PolicyShape, demos: TokenBatch): number {
  let nll = 0;
  let count = 0;
  for (let n = 0; n < demos.count; n++) {
    nll -= seqLogp(theta, shape, demos.promptOf[n], demos.tokens, n * shape.maxLen, demos.lengths[n]);
    count += demos.lengths[n];
  }
  return nll / count;
}

/** Central finite differences of f at x for the listed coordinates. */
export function finiteDiff(f: (x: Float64Array) => number, x: ArrayLike<number>, coords: number[], h = 1e-4): Map<number, number> {
  const base = Float64Array.from(x);
  const out = new Map<number, number>();
  for (const i of coords) {
    const orig = base[i];
    base[i] = orig + h;
    const up = f(base);
    base[i] = orig - h;
    const down = f(base);
    base[i] = orig;
    out.set(i, (up - down) / (2 * h));
  }
  return out;
}
