/**
 * The table policy models on the GPU (tabular and autoregressive; the CPU side
 * is src/engine/policies/table.ts): kernels in shaders/table/, composed with
 * the table library (row_index, scaled logits) and two header constants, ROWS
 * and AUTOREGRESSIVE.
 * - prepare: row_stats.wgsl, softmax statistics of every row of π and π_ref at T;
 * - visits: visit_stats.wgsl, the per-visit statistics the objectives read;
 * - sample: sample_cdf.wgsl (double-float CDFs) then sample.wgsl (inverse CDF);
 * - backward: accumulate.wgsl (upstream summed per cell in a fixed order,
 *   answers grouped by prompt on the host) then grad_rows.wgsl (row gradients
 *   and Σ g² per row).
 */
import { CANCEL_EPS } from '../../engine/objectives/constants.ts';
import { rowCount } from '../../engine/policies/table.ts';
import type { PolicyShape } from '../../engine/policies/types.ts';
import type { ArenaRange, Submission } from '../submission.ts';
import type { DeviceBatch, GpuPolicyContext, GpuPolicyKind, GpuPolicyModel } from './types.ts';
import type { Kernel } from '../kernels.ts';
import type { StreamId } from '../../engine/prng.ts';

const KERNELS = ['table/row_stats', 'table/visit_stats', 'table/sample_cdf', 'table/sample', 'table/accumulate', 'table/grad_rows'] as const;

class TableModel implements GpuPolicyModel {
  private readonly rows: number;
  private readonly b: Record<'rowStats' | 'cdf' | 'cells' | 'rowEntropy' | 'rowSq', GPUBuffer>;

  constructor(
    private readonly ctx: GpuPolicyContext,
    private readonly shape: PolicyShape,
    private readonly k: Record<string, Kernel>,
  ) {
    const R = rowCount(shape);
    const V = shape.vocab;
    this.rows = R;
    this.b = {
      rowStats: ctx.createBuffer('row statistics', 2 * R * 16),
      cdf: ctx.createBuffer('sampling cdf', R * V * 8),
      cells: ctx.createBuffer('gradient cells', R * V * 16),
      rowEntropy: ctx.createBuffer('row entropy weights', R * 8),
      rowSq: ctx.createBuffer('row gradient norms', R * 16),
    };
  }

  prepare(sub: Submission, T: number): void {
    sub.run(this.k.row_stats, { temperature: T }, { logits: this.ctx.params, ref_logits: this.ctx.ref, rows: this.b.rowStats }, this.ctx.groups(this.rows));
  }

  visits(sub: Submission, batch: DeviceBatch, T: number, out: { visits: GPUBuffer; greedy: GPUBuffer }, withGreedy: boolean): void {
    sub.run(
      this.k.visit_stats,
      { temperature: T, count: batch.count, with_greedy: withGreedy ? 1 : 0 },
      { logits: this.ctx.params, ref_logits: this.ctx.ref, rows: this.b.rowStats, batch: batch.binding, visits: out.visits, greedy: out.greedy },
      this.ctx.groups(batch.count),
    );
  }

  sample(sub: Submission, prompts: ArenaRange, count: number, batch: GPUBuffer, draw: { seed: number; stream: StreamId; step: number; temperature: number }): void {
    // The temperature as f32 hi + lo, so (z − max)/T divides by the same value as the CPU's f64.
    const tHi = Math.fround(draw.temperature);
    const tLo = Math.fround(draw.temperature - tHi);
    sub.run(this.k.sample_cdf, { temperature_hi: tHi, temperature_lo: tLo }, { logits: this.ctx.params, cdf: this.b.cdf }, this.ctx.groups(this.rows));
    sub.run(this.k.sample, { seed: draw.seed, stream: draw.stream, step: draw.step, count }, { cdf: this.b.cdf, prompt_of: prompts, batch }, this.ctx.groups(count));
  }

  backward(sub: Submission, batch: DeviceBatch, visitGrad: GPUBuffer, T: number): { terms: GPUBuffer; count: number } {
    const { starts, order } = grouping(sub, batch.promptOf, batch.count, this.shape.prompts);
    const b = this.b;
    sub.run(
      this.k.accumulate,
      { count: batch.count },
      { prompt_start: starts, order, batch: batch.binding, visit_grad: visitGrad, cells: b.cells, row_entropy: b.rowEntropy },
      this.ctx.groups(this.shape.prompts * this.shape.maxLen),
    );
    sub.run(
      this.k.grad_rows,
      { temperature: T, cancel_eps: CANCEL_EPS },
      { logits: this.ctx.params, rows: b.rowStats, cells: b.cells, row_entropy: b.rowEntropy, grad: this.ctx.grad, row_sq: b.rowSq },
      this.ctx.groups(this.rows),
    );
    return { terms: b.rowSq, count: this.rows };
  }

  destroy(): void {
    for (const buffer of Object.values(this.b)) buffer.destroy();
  }
}

/** Answers grouped by prompt (a stable counting sort), the fixed order accumulate.wgsl sums in. */
function grouping(sub: Submission, promptOf: Int32Array, count: number, P: number): { starts: ArenaRange; order: ArenaRange } {
  const starts = new Uint32Array(P + 1);
  for (let n = 0; n < count; n++) starts[promptOf[n] + 1]++;
  for (let p = 0; p < P; p++) starts[p + 1] += starts[p];
  const next = starts.slice(0, P);
  const order = new Uint32Array(Math.max(count, 1));
  for (let n = 0; n < count; n++) order[next[promptOf[n]]++] = n;
  return { starts: sub.upload(starts), order: sub.upload(order) };
}

export const tableGpu: GpuPolicyKind = {
  kernels: KERNELS,
  libraries: ['table/table'],
  header: (shape) => [`const ROWS: u32 = ${rowCount(shape)}u;`, `const AUTOREGRESSIVE: bool = ${shape.kind === 'autoregressive'};`],
  // The gradient cells: 16 bytes a logit.
  largestBuffer: (shape) => rowCount(shape) * shape.vocab * 16,
  create: (ctx, shape, kernels) => new TableModel(ctx, shape, kernels),
};
