/**
 * The objectives' part of a WebGPU update: the dispatch sequences of RFT, DPO
 * and SFT (the GPU side of src/engine/objectives/cpu.ts). They see the policy
 * model only through GpuPolicyModel (prepare, per-visit statistics, backward)
 * and the optimizer only through src/gpu/optimizer.ts, so they are the same
 * for every policy kind. Each returns how to read the step's statistics back.
 */
import type { PairBatch, TokenBatch, UpdateHyper, UpdateStats } from '../engine/backend.ts';
import { ADVANTAGES, DPO_LOSS_TYPES, enumIndex, RFT_LOSS_TYPES, SCALE_REWARDS } from '../engine/enums.ts';
import { reinforceBaseline, stdOf } from '../engine/objectives/advantages.ts';
import { dpoStats } from '../engine/objectives/dpo.ts';
import { clipRange } from '../engine/objectives/rft.ts';
import { encodeFinalizeOnly, encodeOptimizerStep, encodeReduce, type OptimizerContext, SLOT, STAT } from './optimizer.ts';
import type { DeviceBatch, GpuPolicyModel } from './policies/types.ts';

export interface ObjectiveContext extends OptimizerContext {
  policy: GpuPolicyModel;
  maxLen: number;
  /** The batch on the device: the sampled one if `samples` is still there, else an upload (prompts checked, `what` names them). */
  batch(samples: TokenBatch, what: string): DeviceBatch;
  /** The "reduce batch_prompts × num_generations" hint for a batch of `count` answers. */
  batchHint(count: number): string;
}

export type ReadStats = (stats: Float32Array) => UpdateStats;

function finite(stats: UpdateStats, s: Float32Array): UpdateStats {
  stats.finite = s[STAT.nonFinite] === 0 && Number.isFinite(stats.loss) && Number.isFinite(stats.grad_norm);
  return stats;
}

function tokensOf(b: TokenBatch): number {
  let tokens = 0;
  for (let n = 0; n < b.count; n++) tokens += b.lengths[n];
  return tokens;
}

/** The per-visit statistics of `batch` at T (after the policy's `prepare` at T), in the shared `visitStats` buffer. */
function visitStats(ctx: ObjectiveContext, batch: DeviceBatch, T: number, withGreedy: boolean): { visits: GPUBuffer; greedy: GPUBuffer } {
  const hint = ctx.batchHint(batch.count);
  const out = {
    visits: ctx.grow('visitStats', batch.count * ctx.maxLen * 16, hint),
    greedy: ctx.grow('greedy', withGreedy ? batch.count * ctx.maxLen * 4 : 16, hint),
  };
  ctx.policy.visits(ctx.sub, batch, T, out, withGreedy);
  return out;
}

export function encodeRft(ctx: ObjectiveContext, samples: TokenBatch, rewards: Float32Array, hyper: UpdateHyper): ReadStats {
  const { sub, policy } = ctx;
  const L = ctx.maxLen;
  const rft = hyper.rft;
  const N = samples.count;
  const T = hyper.temperature;
  const tokenCount = tokensOf(samples);
  const batch = ctx.batch(samples, 'samples');
  // The REINFORCE baseline is host state (f64, as on the CPU); the kernel gets it as hi + lo.
  let baselineUsed = 0;
  if (rft.advantage === 'reinforce') {
    const { used, next } = reinforceBaseline(rewards, rft, ctx.host.baseline);
    baselineUsed = used;
    ctx.host.baseline = next;
  }
  const bHi = Math.fround(baselineUsed);
  const hint = ctx.batchHint(N);
  const advantages = ctx.grow('advantages', N * 4, hint);
  const oldLogp = ctx.grow('oldLogp', N * L * 4, hint);
  const visitGrad = ctx.grow('visitGrad', N * L * 8, hint);
  const terms = ctx.grow('visitTerms', N * 16, hint);
  const batchStd = rft.scale_rewards === 'batch' ? stdOf(rewards, 0, N) : 0;
  const sHi = Math.fround(batchStd);
  const G = hyper.num_generations;
  sub.run(
    ctx.kernels.advantages,
    {
      count: N,
      group_size: G,
      estimator: enumIndex(ADVANTAGES, rft.advantage),
      scale_rewards: enumIndex(SCALE_REWARDS, rft.scale_rewards),
      baseline_hi: bHi,
      baseline_lo: baselineUsed - bHi,
      batch_std_hi: sHi,
      batch_std_lo: batchStd - sHi,
    },
    { rewards: sub.upload(rewards), advantages },
    ctx.groups(Math.ceil(N / G)),
  );
  const iterations = rft.num_iterations;
  const clip = clipRange(rft);
  for (let it = 0; it < iterations; it++) {
    policy.prepare(sub, T);
    const { visits } = visitStats(ctx, batch, T, false);
    sub.run(
      ctx.kernels.rft_tokens,
      {
        count: N,
        iteration: it,
        loss_type: enumIndex(RFT_LOSS_TYPES, rft.loss_type),
        token_count: tokenCount,
        clip_low: clip.lo,
        clip_high: clip.hi,
        beta: rft.beta,
        entropy_coef: rft.entropy_coef,
      },
      { batch: batch.binding, visits, advantages, old_logp: oldLogp, visit_grad: visitGrad, terms },
      ctx.groups(N),
    );
    encodeReduce(ctx, terms, 0, N, SLOT.visits);
    encodeOptimizerStep(ctx, policy.backward(sub, batch, visitGrad, T), hyper, it, SLOT.visits);
  }
  return (s) => {
    let loss = 0;
    let clipped = 0;
    for (let it = 0; it < iterations; it++) {
      loss += s[STAT.iterations + 2 * it];
      clipped += tokenCount > 0 ? s[STAT.iterations + 2 * it + 1] / tokenCount : 0;
    }
    return finite(
      {
        loss: loss / iterations,
        kl: tokenCount ? s[STAT.kl] / tokenCount : 0,
        entropy: tokenCount ? s[STAT.entropy] / tokenCount : 0,
        grad_norm: s[STAT.gradNorm],
        clip_ratio: clipped / iterations,
        finite: true,
      },
      s,
    );
  };
}

/** The policy's statistics at T = 1 and the exact KL / entropy over the states `samples` visit (DPO, SFT). */
function encodeMeasure(ctx: ObjectiveContext, samples: TokenBatch): { tokens: number } {
  const N = samples.count;
  const batch = ctx.batch(samples, 'samples');
  const terms = ctx.grow('visitTerms', N * 16, ctx.batchHint(N));
  ctx.policy.prepare(ctx.sub, 1);
  const { visits } = visitStats(ctx, batch, 1, false);
  ctx.sub.run(ctx.kernels.measure_tokens, { count: N }, { batch: batch.binding, visits, terms }, ctx.groups(N));
  encodeReduce(ctx, terms, 0, N, SLOT.visits);
  return { tokens: tokensOf(samples) };
}

export function encodeDpo(ctx: ObjectiveContext, samples: TokenBatch, pairs: PairBatch, hyper: UpdateHyper): ReadStats {
  const dpo = hyper.dpo;
  const measured = encodeMeasure(ctx, samples);
  const K = pairs.count;
  if (K > 0) {
    const L = ctx.maxLen;
    const sequences: TokenBatch = {
      count: 2 * K,
      promptOf: concatInt32(pairs.promptOf, pairs.promptOf),
      lengths: concatInt32(pairs.chosenLen, pairs.rejectedLen),
      tokens: concatInt32(pairs.chosen.subarray(0, K * L), pairs.rejected.subarray(0, K * L)),
    };
    const batch = ctx.batch(sequences, 'DPO pairs');
    const visitGrad = ctx.grow('visitGrad', 2 * K * L * 8, ctx.batchHint(2 * K));
    const terms = ctx.grow('seqTerms', 2 * K * 16, ctx.batchHint(2 * K));
    const { visits } = visitStats(ctx, batch, 1, false);
    ctx.sub.run(
      ctx.kernels.dpo_pairs,
      { count: K, loss_type: enumIndex(DPO_LOSS_TYPES, dpo.loss_type), beta: dpo.beta, label_smoothing: dpo.label_smoothing },
      { batch: batch.binding, visits, visit_grad: visitGrad, terms },
      ctx.groups(K),
    );
    encodeReduce(ctx, terms, 0, K, SLOT.objective);
    encodeReduce(ctx, terms, K, K, SLOT.objective2);
    encodeOptimizerStep(ctx, ctx.policy.backward(ctx.sub, batch, visitGrad, 1), hyper, 0, SLOT.objective);
  } else {
    encodeFinalizeOnly(ctx);
  }
  return (s) => {
    const kl = measured.tokens ? s[STAT.kl] / measured.tokens : 0;
    const entropy = measured.tokens ? s[STAT.entropy] / measured.tokens : 0;
    if (K === 0) return { loss: 0, kl, entropy, grad_norm: 0, finite: true, ...dpoStats(0, 0, 0, 0, 0, 1) };
    const o = STAT.objective;
    return finite(
      {
        loss: s[o] / K,
        kl,
        entropy,
        grad_norm: s[STAT.gradNorm],
        finite: true,
        ...dpoStats(s[o + 1], s[o + 2], s[o + 3], s[STAT.objective2], s[STAT.objective2 + 1], K),
      },
      s,
    );
  };
}

export function encodeSft(ctx: ObjectiveContext, samples: TokenBatch, demos: TokenBatch, hyper: UpdateHyper): ReadStats {
  const measured = encodeMeasure(ctx, samples);
  const D = demos.count;
  const tokenCount = tokensOf(demos);
  if (tokenCount > 0) {
    const L = ctx.maxLen;
    const batch = ctx.batch(demos, 'SFT demonstrations');
    const visitGrad = ctx.grow('visitGrad', D * L * 8, ctx.batchHint(D));
    const terms = ctx.grow('seqTerms', D * 16, ctx.batchHint(D));
    const { visits, greedy } = visitStats(ctx, batch, 1, true);
    ctx.sub.run(ctx.kernels.sft_tokens, { count: D, token_count: tokenCount }, { batch: batch.binding, visits, greedy, visit_grad: visitGrad, terms }, ctx.groups(D));
    encodeReduce(ctx, terms, 0, D, SLOT.objective);
    encodeOptimizerStep(ctx, ctx.policy.backward(ctx.sub, batch, visitGrad, 1), hyper, 0, SLOT.objective);
  } else {
    encodeFinalizeOnly(ctx);
  }
  return (s) =>
    finite(
      {
        loss: tokenCount ? s[STAT.objective] / tokenCount : 0,
        kl: measured.tokens ? s[STAT.kl] / measured.tokens : 0,
        entropy: measured.tokens ? s[STAT.entropy] / measured.tokens : 0,
        grad_norm: tokenCount ? s[STAT.gradNorm] : 0,
        mean_token_accuracy: tokenCount ? s[STAT.objective + 1] / tokenCount : 0,
        finite: true,
      },
      s,
    );
}

function concatInt32(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
