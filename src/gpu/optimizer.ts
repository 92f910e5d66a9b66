/**
 * The optimizer part of a WebGPU step, over one flat parameter buffer and its
 * gradient (whatever policy model filled it): fixed-order reductions
 * (shaders/optimizer/reduce.wgsl), the step's statistics and clip factor
 * (finalize.wgsl), the Adam/SGD step (optimizer.wgsl, as src/engine/optimizer.ts)
 * and the undo of a diverged step (restore.wgsl, encoded by the backend).
 */
import type { UpdateHyper } from '../engine/backend.ts';
import { LOGIT_LIMIT } from '../engine/backend.ts';
import { enumIndex, OPTIMIZERS } from '../engine/enums.ts';
import { REDUCE_CHUNK, type KernelSet, type SharedKernelName } from './kernels.ts';
import type { Submission } from './submission.ts';

/** Layout of the statistics buffer, filled by finalize.wgsl and restore.wgsl. */
export const STAT = { kl: 2, entropy: 3, gradNorm: 4, nonFinite: 5, objective: 8, objective2: 12, iterations: 16 } as const;
export const STATS_FLOATS = 64;
/** Slots of the `sums` buffer (reduce.wgsl writes, finalize.wgsl reads): visit terms, Σ g², objective terms (two). */
export const SLOT = { visits: 0, gradSq: 1, objective: 2, objective2: 3 } as const;

/** What the optimizer encoders use of the backend. */
export interface OptimizerContext {
  sub: Submission;
  kernels: KernelSet<SharedKernelName>;
  paramCount: number;
  buffers: Record<'params' | 'adamM' | 'adamV' | 'grad' | 'sums' | 'stats' | 'control', GPUBuffer>;
  /** Host state: Adam's step count (and the REINFORCE baseline, for the objectives). */
  host: { optSteps: number; baseline: number };
  groups(invocations: number): number;
  /** A scratch buffer of at least `bytes`, regrown on demand. */
  grow(name: string, bytes: number, hint: string): GPUBuffer;
}

/** Sums `count` vec4 terms of `input` from `offset` into sums[slot], in as many fixed-order passes as needed. */
export function encodeReduce(ctx: OptimizerContext, input: GPUBuffer, offset: number, count: number, slot: number): void {
  const { sub } = ctx;
  let source: GPUBuffer = input;
  let sourceOffset = offset;
  let n = count;
  for (let pass = 0; ; pass++) {
    const partials = Math.max(1, Math.ceil(n / REDUCE_CHUNK));
    if (partials === 1) {
      sub.run(ctx.kernels.reduce, { count: n, in_offset: sourceOffset, out_index: slot }, { input: source, output: ctx.buffers.sums }, 1);
      return;
    }
    const target = ctx.grow(pass % 2 === 0 ? 'partialsA' : 'partialsB', partials * 16, '');
    sub.run(ctx.kernels.reduce, { count: n, in_offset: sourceOffset, out_index: 0 }, { input: source, output: target }, ctx.groups(partials));
    source = target;
    sourceOffset = 0;
    n = partials;
  }
}

/** ‖g‖ from the policy model's Σ g² terms → finalize → the optimizer step: the CPU engine's applyGradient after the model's backward. */
export function encodeOptimizerStep(ctx: OptimizerContext, sq: { terms: GPUBuffer; count: number }, hyper: UpdateHyper, iteration: number, lossSlot: number): void {
  const { sub, kernels: k } = ctx;
  const b = ctx.buffers;
  encodeReduce(ctx, sq.terms, 0, sq.count, SLOT.gradSq);
  const opt = hyper.optimizer;
  sub.run(k.finalize, { iteration, loss_slot: lossSlot, max_grad_norm: opt.max_grad_norm ?? 0, has_gradient: 1 }, { sums: b.sums, stats: b.stats, control: b.control }, 1);
  const t = ++ctx.host.optSteps;
  const bc1 = 1 - Math.pow(opt.adam_beta1, t);
  const bc2 = 1 - Math.pow(opt.adam_beta2, t);
  sub.run(
    k.optimizer,
    {
      count: ctx.paramCount,
      kind: enumIndex(OPTIMIZERS, opt.name),
      learning_rate: opt.learning_rate,
      beta1: opt.adam_beta1,
      beta2: opt.adam_beta2,
      one_minus_beta1: 1 - opt.adam_beta1,
      one_minus_beta2: 1 - opt.adam_beta2,
      step_size: opt.learning_rate / bc1,
      sqrt_bias2: Math.sqrt(bc2),
      epsilon: opt.adam_epsilon,
      logit_limit: LOGIT_LIMIT,
    },
    { grad: b.grad, control: b.control, logits: b.params, adam_m: b.adamM, adam_v: b.adamV },
    ctx.groups(ctx.paramCount),
  );
}

/** No gradient this step (DPO without pairs, SFT without demonstration tokens): the statistics still go through finalize. */
export function encodeFinalizeOnly(ctx: OptimizerContext): void {
  const b = ctx.buffers;
  ctx.sub.run(ctx.kernels.finalize, { iteration: 0, loss_slot: SLOT.visits, max_grad_norm: 0, has_gradient: 0 }, { sums: b.sums, stats: b.stats, control: b.control }, 1);
}

/** Snapshot before the step (undone on the device by restore.wgsl if it diverged). */
export function encodeSnapshot(ctx: OptimizerContext, saved: GPUBuffer): void {
  const P = ctx.paramCount * 4;
  const b = ctx.buffers;
  ctx.sub.copy(b.params, 0, saved, 0, P);
  ctx.sub.copy(b.adamM, 0, saved, P, P);
  ctx.sub.copy(b.adamV, 0, saved, 2 * P, P);
  ctx.sub.clear(b.control);
  ctx.sub.clear(b.stats);
}

export function encodeRestore(ctx: OptimizerContext, saved: GPUBuffer): void {
  const b = ctx.buffers;
  ctx.sub.run(ctx.kernels.restore, { count: ctx.paramCount }, { control: b.control, saved, logits: b.params, adam_m: b.adamM, adam_v: b.adamV, stats: b.stats }, ctx.groups(ctx.paramCount));
}
