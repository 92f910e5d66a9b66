/**
 * The objectives on the CPU: RFT, DPO and SFT as per-visit maths over a
 * policy model. Each turns a batch into a loss and, per visit, the upstream
 * gradient ∂L/∂log π (and ∂L/∂H for the entropy bonus); the model turns those
 * into parameter gradients and the optimizer steps (CpuBackend.applyGradient).
 * Nothing here knows how the policy is parameterised.
 */
import type { PairBatch, TokenBatch, UpdateHyper, UpdateStats } from '../backend.ts';
import type { CpuPolicyModel } from '../policies/types.ts';
import { computeAdvantages } from './advantages.ts';
import { dpoLoss, dpoStats } from './dpo.ts';
import { clipRange, tokenWeight } from './rft.ts';

export interface CpuObjectiveContext {
  readonly model: CpuPolicyModel;
  readonly maxLen: number;
  /** REINFORCE baseline carried across steps (read and written by RFT). */
  baseline: number;
  /** Backward, clip, one optimizer step, clear; returns the gradient norm before clipping. */
  applyGradient(T: number, hyper: UpdateHyper): number;
  /** A scratch buffer of at least n entries. */
  scratch(n: number): Float64Array;
}

/** Exact mean KL(π‖π_ref) and entropy over the states a batch visits. */
export function measureVisits(ctx: CpuObjectiveContext, samples: TokenBatch, T: number): { kl: number; entropy: number } {
  const { model, maxLen: L } = ctx;
  const vis = new Int32Array(L);
  let kl = 0, ent = 0, count = 0;
  model.prepareBatch?.(samples, T);
  for (let n = 0; n < samples.count; n++) {
    const len = samples.lengths[n];
    model.visits(samples.promptOf[n], samples.tokens, n * L, len, T, vis);
    for (let t = 0; t < len; t++) {
      kl += model.klToReference(vis[t], T);
      ent += model.entropy(vis[t]);
      count++;
    }
  }
  return { kl: count ? kl / count : 0, entropy: count ? ent / count : 0 };
}

// ---------------------------------------------------------------- RFT

export function rftUpdate(ctx: CpuObjectiveContext, samples: TokenBatch, rewards: Float32Array, hyper: UpdateHyper): UpdateStats {
  const { model, maxLen: L } = ctx;
  const T = hyper.temperature;
  const rft = hyper.rft;
  const N = samples.count;
  const G = hyper.num_generations;
  const { advantages, baseline } = computeAdvantages(rewards, G, rft, ctx.baseline);
  ctx.baseline = baseline;
  const vis = new Int32Array(L);

  // Old log-probs (the sampling policy) and the exact per-state metrics, before any update.
  const oldLogp = ctx.scratch(N * L);
  let tokenCount = 0;
  let klSum = 0;
  let entSum = 0;
  model.prepareBatch?.(samples, T);
  for (let n = 0; n < N; n++) {
    const len = samples.lengths[n];
    model.visits(samples.promptOf[n], samples.tokens, n * L, len, T, vis);
    for (let t = 0; t < len; t++) {
      oldLogp[n * L + t] = model.logProb(vis[t], samples.tokens[n * L + t], T);
      klSum += model.klToReference(vis[t], T);
      entSum += model.entropy(vis[t]);
      tokenCount++;
    }
  }

  const { lo, hi } = clipRange(rft);
  const beta = rft.beta;
  const entCoef = rft.entropy_coef;
  let lossSum = 0;
  let clipSum = 0;
  let gradNorm = 0;
  let finite = true;
  for (let it = 0; it < rft.num_iterations; it++) {
    if (it > 0) {
      model.invalidate();
      model.prepareBatch?.(samples, T);
    }
    let loss = 0;
    let clipped = 0;
    for (let n = 0; n < N; n++) {
      const A = advantages[n];
      const len = samples.lengths[n];
      const w = tokenWeight(rft.loss_type, len, N, tokenCount, L);
      model.visits(samples.promptOf[n], samples.tokens, n * L, len, T, vis);
      for (let t = 0; t < len; t++) {
        const tok = samples.tokens[n * L + t];
        const v = vis[t];
        const logp = model.logProb(v, tok, T);
        const ratio = Math.exp(logp - oldLogp[n * L + t]);
        const unclipped = ratio * A;
        const clippedObj = Math.min(Math.max(ratio, lo), hi) * A;
        // PPO: the gradient flows through the smaller objective; it is zero where the clip binds.
        const useUnclipped = unclipped <= clippedObj;
        let tokenLoss = -(useUnclipped ? unclipped : clippedObj);
        let u = useUnclipped ? -w * A * ratio : 0;
        if ((ratio < lo && A < 0) || (ratio > hi && A > 0)) clipped++;
        if (beta > 0) {
          const q = model.refLogProb(v, tok, T) - logp;
          const eq = Math.exp(q);
          tokenLoss += beta * (eq - q - 1); // k3 estimator of KL(π ‖ π_ref)
          u += w * beta * (1 - eq);
        }
        loss += w * tokenLoss;
        if (entCoef > 0) {
          // TRL's entropy bonus is the mean entropy over every answer token, whatever loss_type averages the policy term.
          loss -= (entCoef * model.entropy(v)) / tokenCount;
          model.addEntropyUpstream(v, -(entCoef / tokenCount));
        }
        model.addUpstream(v, tok, u);
      }
    }
    lossSum += loss;
    clipSum += tokenCount > 0 ? clipped / tokenCount : 0;
    gradNorm = ctx.applyGradient(T, hyper);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      finite = false;
      break;
    }
  }
  model.invalidate();
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

export function dpoUpdate(ctx: CpuObjectiveContext, samples: TokenBatch, pairs: PairBatch, hyper: UpdateHyper): UpdateStats {
  const { model, maxLen: L } = ctx;
  const dpo = hyper.dpo;
  const { kl, entropy } = measureVisits(ctx, samples, 1);
  const K = pairs.count;
  const ipo = dpo.loss_type === 'ipo';
  const visC = new Int32Array(L);
  const visR = new Int32Array(L);
  /** Σ log π and Σ log π_ref of one answer's tokens at T = 1. */
  const logps = (tokens: Int32Array, offset: number, len: number, vis: Int32Array): [number, number] => {
    let pi = 0;
    let ref = 0;
    for (let t = 0; t < len; t++) pi += model.logProb(vis[t], tokens[offset + t], 1);
    for (let t = 0; t < len; t++) ref += model.refLogProb(vis[t], tokens[offset + t], 1);
    return [pi, ref];
  };
  const push = (tokens: Int32Array, offset: number, len: number, vis: Int32Array, u: number) => {
    for (let t = 0; t < len; t++) model.addUpstream(vis[t], tokens[offset + t], u);
  };
  let loss = 0;
  let rc = 0, rr = 0, acc = 0, lc = 0, lr = 0;
  model.prepareBatch?.({ count: K, promptOf: pairs.promptOf, tokens: pairs.chosen, lengths: pairs.chosenLen }, 1);
  model.prepareBatch?.({ count: K, promptOf: pairs.promptOf, tokens: pairs.rejected, lengths: pairs.rejectedLen }, 1);
  for (let k = 0; k < K; k++) {
    const p = pairs.promptOf[k];
    const lenC = pairs.chosenLen[k];
    const lenR = pairs.rejectedLen[k];
    // IPO compares per-token means of the log-ratios (as TRL does); the others compare sums.
    // The logged rewards and log-probs are sums for every loss type, as in TRL.
    const normC = ipo ? 1 / lenC : 1;
    const normR = ipo ? 1 / lenR : 1;
    model.visits(p, pairs.chosen, k * L, lenC, 1, visC);
    model.visits(p, pairs.rejected, k * L, lenR, 1, visR);
    const [piC, refC] = logps(pairs.chosen, k * L, lenC, visC);
    const [piR, refR] = logps(pairs.rejected, k * L, lenR, visR);
    const h = (piC - refC) * normC - (piR - refR) * normR;
    const { loss: l, dLdh } = dpoLoss(dpo.loss_type, h, dpo.beta, dpo.label_smoothing);
    loss += l;
    const g = dLdh / K;
    push(pairs.chosen, k * L, lenC, visC, g * normC);
    push(pairs.rejected, k * L, lenR, visR, -g * normR);
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
  const gradNorm = ctx.applyGradient(1, hyper);
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

export function sftUpdate(ctx: CpuObjectiveContext, samples: TokenBatch, demos: TokenBatch, hyper: UpdateHyper): UpdateStats {
  const { model, maxLen: L } = ctx;
  const { kl, entropy } = measureVisits(ctx, samples, 1);
  const vis = new Int32Array(L);
  let tokenCount = 0;
  for (let n = 0; n < demos.count; n++) tokenCount += demos.lengths[n];
  let nll = 0;
  let correct = 0;
  const u = tokenCount ? -1 / tokenCount : 0;
  model.prepareBatch?.(demos, 1);
  for (let n = 0; n < demos.count; n++) {
    const len = demos.lengths[n];
    model.visits(demos.promptOf[n], demos.tokens, n * L, len, 1, vis);
    for (let t = 0; t < len; t++) {
      const tok = demos.tokens[n * L + t];
      nll -= model.logProb(vis[t], tok, 1);
      if (model.greedyToken(vis[t]) === tok) correct++;
      model.addUpstream(vis[t], tok, u);
    }
  }
  const gradNorm = tokenCount ? ctx.applyGradient(1, hyper) : 0;
  return {
    loss: tokenCount ? nll / tokenCount : 0,
    kl,
    entropy,
    grad_norm: gradNorm,
    mean_token_accuracy: tokenCount ? correct / tokenCount : 0,
    finite: Number.isFinite(gradNorm),
  };
}
