/**
 * The WebGPU backend: the whole training step in WGSL kernels (shaders/),
 * computing what CpuBackend computes — same formulas, same counter-based
 * draws — with deterministic reductions (fixed order, no float atomics).
 *
 * Submits and readbacks. Work is collected in a Submission and flushed as one
 * command buffer with one mapped staging buffer:
 * - `sample` flushes at once (the grader needs the tokens: the one blocking readback);
 * - `update` only queues its kernels and the copy of its statistics, and flushes
 *   on the next macrotask unless a `sample` is called first in the same
 *   synchronous turn, in which case the update rides in the sample's submit and
 *   its statistics come back in the sample's readback. A lane that calls
 *   `update(k)` and then `sample(k + 1)` before awaiting the update's promise
 *   therefore makes exactly one submit and one blocking readback per step; a
 *   lane that awaits each call still works, with two.
 * Divergence (NaN/Inf in the loss, gradient norm or new logits) is detected and
 * undone on the device (restore.wgsl), so a sample queued behind a diverged
 * update already sees the last finite state.
 */
import { type Backend, LOGIT_LIMIT, type PairBatch, type TokenBatch, type UpdateHyper, type UpdateRequest, type UpdateStats } from '../engine/backend.ts';
import { checkShape } from '../engine/cpu-backend.ts';
import { reinforceBaseline, stdOf } from '../engine/objectives/advantages.ts';
import { CANCEL_EPS } from '../engine/objectives/constants.ts';
import { dpoStats } from '../engine/objectives/dpo.ts';
import { clipRange } from '../engine/objectives/rft.ts';
import { ADVANTAGES, DPO_LOSS_TYPES, enumIndex, OPTIMIZERS, RFT_LOSS_TYPES, SCALE_REWARDS } from '../engine/enums.ts';
import { policyModel } from '../engine/policies/index.ts';
import { rowCount } from '../engine/policies/table.ts';
import { paramCount, type PolicyParameters, type PolicyShape, type PolicyState } from '../engine/policy.ts';
import type { StreamId } from '../engine/prng.ts';
import type { GpuDevice } from './device.ts';
import { type Kernel, REDUCE_CHUNK } from './kernels.ts';
import { GpuRuntime } from './runtime.ts';
import { loadShaderSources, type KernelName, type ShaderSources } from './shaders.ts';
import { align, type ArenaRange, type Binding, StagingPool, Submission } from './submission.ts';

/** The device went away (destroyed, driver reset); the run can continue elsewhere from the last synced state. */
export class DeviceLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLostError';
  }
}

/** A buffer this run needs is larger than the device allows; the message names the config fields to reduce. */
export class GpuLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuLimitError';
  }
}

/** Timings of one submit, recorded when `profiling` is on. */
export interface FlushProfile {
  /** What the submit carried, e.g. "sample", "update", "update+sample". */
  contents: string;
  /** Host time to write the uploads and encode the commands. */
  encodeMs: number;
  /** Submit until the GPU reports the work done. */
  gpuMs: number;
  /** Work done until the staging buffer is mapped and copied out. */
  readbackMs: number;
}

export interface WebGpuBackendOptions {
  /**
   * The device and pipeline cache to use (src/gpu/runtime.ts sharedRuntime: the
   * page's three lanes share one); default: a runtime of its own, destroyed on dispose.
   */
  runtime?: GpuRuntime;
  /** Replaces the WGSL files (tests of compile errors); default: shaders/*.wgsl. */
  shaderSources?: ShaderSources;
  /**
   * Caps workgroups per grid dimension below the device's limit, so tests can
   * exercise the 2-D grids that only huge batches need on a real device.
   */
  maxWorkgroupsPerDimension?: number;
}

/** Layout of the statistics buffer, filled by finalize.wgsl and restore.wgsl. */
const STAT = { kl: 2, entropy: 3, gradNorm: 4, nonFinite: 5, objective: 8, objective2: 12, iterations: 16 } as const;
const STATS_FLOATS = 64;
/** Slots of the `sums` buffer (reduce.wgsl writes, finalize.wgsl reads): visit terms, Σ g², objective terms (two). */
const SLOT = { visits: 0, gradSq: 1, objective: 2, objective2: 3 } as const;


const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface InflightUpdate {
  /** optSteps / baseline before the update, restored if it diverged. */
  before: { optSteps: number; baseline: number };
  diverged: boolean;
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly label: string;
  /** Submits and blocking maps since creation (the benchmark reports them per step). */
  readonly counters = { submits: 0, readbacks: 0 };
  /**
   * When true, each submit is timed (FlushProfile) by waiting for the GPU before
   * mapping: for the benchmark's phase breakdown only, as the wait costs time.
   */
  profiling = false;
  readonly profile: FlushProfile[] = [];

  private readonly gd: GpuDevice;
  private readonly device: GPUDevice;
  private readonly kernels: Record<KernelName, Kernel>;
  private readonly shape: PolicyShape;
  private readonly V: number;
  private readonly L: number;
  private readonly rows: number;
  private readonly params: number;
  private readonly wg: number;
  private readonly maxBytes: number;
  private readonly pool: StagingPool;
  private readonly buffers: Record<'logits' | 'ref' | 'adamM' | 'adamV' | 'saved' | 'rowStats' | 'cdf' | 'cells' | 'rowEntropy' | 'grad' | 'rowSq' | 'sums' | 'stats' | 'control', GPUBuffer>;
  /** Buffers whose size follows the batch; grown on demand. */
  private readonly growable = new Map<string, GPUBuffer>();
  /** Outgrown buffers that queued work may still reference; destroyed after the next submit. */
  private retired: GPUBuffer[] = [];
  private arena: GPUBuffer;
  private optSteps: number;
  private baseline: number;
  private pending: Submission | null = null;
  private flushScheduled = false;
  /** The batch whose tokens are in the `sampleBatch` buffer (updates then skip the upload). */
  private batchOnDevice: TokenBatch | null = null;
  private inflight: InflightUpdate | null = null;
  private lostError: Error | null = null;
  private readonly lostSignal: Promise<never>;
  private disposed = false;

  /** A backend on `options.runtime` (else a device of its own on `gpu`) with the kernels for the state's policy shape. */
  static async create(gpu: GPU, state: PolicyState, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const runtime = options.runtime ?? (await GpuRuntime.create(gpu));
    runtime.acquire();
    const gd = runtime.gd;
    try {
      const shape = state.shape;
      // Before compiling (seconds on a software adapter): the largest policy-sized buffer is the gradient cells, 16 bytes a logit.
      const limit = Math.min(gd.device.limits.maxStorageBufferBindingSize, gd.device.limits.maxBufferSize);
      const largest = paramCount(shape) * 16;
      if (largest > limit) {
        throw new GpuLimitError(`the policy needs ${MB(largest)} buffers but this WebGPU device allows ${MB(limit)} per buffer: ${policyHint(shape)}`);
      }
      const sources = options.shaderSources ?? (await loadShaderSources());
      const kernels = await runtime.kernels(
        { workgroupSize: gd.workgroupSize, vocab: shape.vocab, maxLen: shape.maxLen, prompts: shape.prompts, rows: rowCount(shape), autoregressive: shape.kind === 'autoregressive' },
        sources,
      );
      const backend = new WebGpuBackend(runtime, kernels, state, options.maxWorkgroupsPerDimension);
      await backend.writeState(state);
      return backend;
    } catch (e) {
      runtime.release();
      throw e;
    }
  }

  private readonly maxGroupsPerDimension: number;

  private readonly runtime: GpuRuntime;

  private constructor(runtime: GpuRuntime, kernels: Record<KernelName, Kernel>, state: PolicyState, maxGroupsPerDimension?: number) {
    const gd = runtime.gd;
    this.runtime = runtime;
    this.gd = gd;
    this.device = gd.device;
    this.kernels = kernels;
    this.label = `webgpu (${gd.adapterName})`;
    this.shape = { ...state.shape };
    this.V = state.shape.vocab;
    this.L = state.shape.maxLen;
    this.rows = rowCount(this.shape);
    this.params = paramCount(this.shape);
    this.wg = gd.workgroupSize;
    this.maxBytes = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    this.maxGroupsPerDimension = Math.min(maxGroupsPerDimension ?? Infinity, this.device.limits.maxComputeWorkgroupsPerDimension);
    this.optSteps = state.optSteps;
    this.baseline = state.baseline;
    this.pool = new StagingPool(this.device);
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const P = this.params * 4;
    const R = this.rows;
    const policy = (label: string, bytes: number) => this.createBuffer(label, bytes, STORAGE, policyHint(this.shape));
    this.buffers = {
      logits: policy('logits', P),
      ref: policy('reference logits', P),
      adamM: policy('adam m', P),
      adamV: policy('adam v', P),
      saved: policy('saved state', 3 * P),
      rowStats: policy('row statistics', 2 * R * 16),
      cdf: policy('sampling cdf', R * this.V * 8),
      cells: policy('gradient cells', R * this.V * 16),
      rowEntropy: policy('row entropy weights', R * 8),
      grad: policy('gradient', P),
      rowSq: policy('row gradient norms', R * 16),
      sums: this.createBuffer('sums', 16 * 16, STORAGE, ''),
      stats: this.createBuffer('stats', STATS_FLOATS * 4, STORAGE, ''),
      control: this.createBuffer('control', 16, STORAGE, ''),
    };
    this.arena = this.createArena(64 * 1024);
    this.lostSignal = gd.lost.then((info) => {
      this.lostError ??= new DeviceLostError(`the WebGPU device was lost (${info.reason}): ${info.message || 'no details'}`);
      throw this.lostError;
    });
    this.lostSignal.catch(() => {});
  }

  /** The device, for tests that simulate a loss (`device.destroy()`). */
  get gpuDevice(): GPUDevice {
    return this.device;
  }

  /** Resolves when the device is lost. */
  get lost(): Promise<GPUDeviceLostInfo> {
    return this.gd.lost;
  }

  get isLost(): boolean {
    return this.lostError !== null;
  }

  // ------------------------------------------------------------------ sampling

  sample(step: number, stream: StreamId, promptOf: Int32Array, temperature: number, seed: number): Promise<TokenBatch> {
    try {
      const N = promptOf.length;
      const { L } = this;
      this.checkPrompts(promptOf, 'sample');
      const batch = this.grow('sampleBatch', (2 * N + N * L) * 4, this.batchHint(N));
      const sub = this.take();
      sub.contents.push('sample');
      const prompts = sub.upload(new Uint32Array(promptOf.buffer, promptOf.byteOffset, N)); // checked non-negative: same bits
      // The temperature as f32 hi + lo, so (z − max)/T divides by the same value as the CPU's f64.
      const tHi = Math.fround(temperature);
      const tLo = Math.fround(temperature - tHi);
      sub.run(this.kernels.sample_cdf, { temperature_hi: tHi, temperature_lo: tLo }, { logits: this.buffers.logits, cdf: this.buffers.cdf }, this.groups(this.rows));
      sub.run(this.kernels.sample, { seed, stream, step, count: N }, { cdf: this.buffers.cdf, prompt_of: prompts, batch }, this.groups(N));
      const data = sub.readback(batch, N * 4, (N + N * L) * 4);
      this.batchOnDevice = null;
      this.flush();
      return data.then((buffer) => {
        const result: TokenBatch = {
          count: N,
          promptOf: promptOf.slice(),
          lengths: new Int32Array(buffer, 0, N).slice(),
          tokens: new Int32Array(buffer, N * 4, N * L).slice(),
        };
        this.batchOnDevice = result;
        return result;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ------------------------------------------------------------------ updates

  update(_step: number, request: UpdateRequest, hyper: UpdateHyper): Promise<UpdateStats> {
    try {
      if (this.lostError) throw this.lostError;
      if (this.inflight) {
        throw new Error('WebGpuBackend.update: the previous update has not resolved yet; await its result (or the sample queued after it) first');
      }
      const sub = this.take();
      sub.contents.push('update');
      const inflight: InflightUpdate = { before: { optSteps: this.optSteps, baseline: this.baseline }, diverged: false };
      const P = this.params * 4;
      const b = this.buffers;
      sub.copy(b.logits, 0, b.saved, 0, P);
      sub.copy(b.adamM, 0, b.saved, P, P);
      sub.copy(b.adamV, 0, b.saved, 2 * P, P);
      sub.clear(b.control);
      sub.clear(b.stats);
      let interpret: (stats: Float32Array) => UpdateStats;
      if (request.objective === 'rft') interpret = this.encodeRft(sub, request.samples, request.rewards, hyper);
      else if (request.objective === 'dpo') interpret = this.encodeDpo(sub, request.samples, request.pairs, hyper);
      else interpret = this.encodeSft(sub, request.samples, request.demos, hyper);
      sub.run(this.kernels.restore, { count: this.params }, { control: b.control, saved: b.saved, logits: b.logits, adam_m: b.adamM, adam_v: b.adamV, stats: b.stats }, this.groups(this.params));
      const raw = sub.readback(b.stats, 0, STATS_FLOATS * 4);
      this.inflight = inflight;
      this.scheduleFlush();
      return raw
        .then((buffer) => {
          const stats = interpret(new Float32Array(buffer));
          if (!stats.finite) {
            stats.finite = false;
            inflight.diverged = true;
            this.optSteps = inflight.before.optSteps;
            this.baseline = inflight.before.baseline;
          }
          return stats;
        })
        .finally(() => {
          if (this.inflight === inflight) this.inflight = null;
        });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private encodeRft(sub: Submission, samples: TokenBatch, rewards: Float32Array, hyper: UpdateHyper): (s: Float32Array) => UpdateStats {
    const { L } = this;
    const rft = hyper.rft;
    const N = samples.count;
    const T = hyper.temperature;
    let tokenCount = 0;
    for (let n = 0; n < N; n++) tokenCount += samples.lengths[n];
    const batch = this.batchBinding(sub, samples);
    // The REINFORCE baseline is host state (f64, as on the CPU); the kernel gets it as hi + lo.
    let baselineUsed = 0;
    if (rft.advantage === 'reinforce') {
      const { used, next } = reinforceBaseline(rewards, rft, this.baseline);
      baselineUsed = used;
      this.baseline = next;
    }
    const bHi = Math.fround(baselineUsed);
    const advantages = this.grow('advantages', N * 4, this.batchHint(N));
    const oldLogp = this.grow('oldLogp', N * L * 4, this.batchHint(N));
    const visitGrad = this.grow('visitGrad', N * L * 8, this.batchHint(N));
    const terms = this.grow('visitTerms', N * 16, this.batchHint(N));
    const batchStd = rft.scale_rewards === 'batch' ? stdOf(rewards, 0, N) : 0;
    const sHi = Math.fround(batchStd);
    const G = hyper.num_generations;
    sub.run(
      this.kernels.advantages,
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
      this.groups(Math.ceil(N / G)),
    );
    const grouping = this.grouping(sub, samples.promptOf, N);
    const iterations = rft.num_iterations;
    const clip = clipRange(rft);
    for (let it = 0; it < iterations; it++) {
      this.encodeRowStats(sub, T);
      sub.run(
        this.kernels.rft_tokens,
        {
          temperature: T,
          count: N,
          iteration: it,
          loss_type: enumIndex(RFT_LOSS_TYPES, rft.loss_type),
          token_count: tokenCount,
          clip_low: clip.lo,
          clip_high: clip.hi,
          beta: rft.beta,
          entropy_coef: rft.entropy_coef,
        },
        { logits: this.buffers.logits, ref_logits: this.buffers.ref, rows: this.buffers.rowStats, batch, advantages, old_logp: oldLogp, visit_grad: visitGrad, terms },
        this.groups(N),
      );
      this.reduce(sub, terms, 0, N, SLOT.visits);
      this.encodeGradientStep(sub, grouping, batch, N, visitGrad, T, hyper, it, SLOT.visits);
    }
    return (s) => {
      let loss = 0;
      let clip = 0;
      for (let it = 0; it < iterations; it++) {
        loss += s[STAT.iterations + 2 * it];
        clip += tokenCount > 0 ? s[STAT.iterations + 2 * it + 1] / tokenCount : 0;
      }
      const stats: UpdateStats = {
        loss: loss / iterations,
        kl: tokenCount ? s[STAT.kl] / tokenCount : 0,
        entropy: tokenCount ? s[STAT.entropy] / tokenCount : 0,
        grad_norm: s[STAT.gradNorm],
        clip_ratio: clip / iterations,
        finite: true,
      };
      stats.finite = s[STAT.nonFinite] === 0 && Number.isFinite(stats.loss) && Number.isFinite(stats.grad_norm);
      return stats;
    };
  }

  private encodeDpo(sub: Submission, samples: TokenBatch, pairs: PairBatch, hyper: UpdateHyper): (s: Float32Array) => UpdateStats {
    const dpo = hyper.dpo;
    const measured = this.encodeMeasure(sub, samples);
    const K = pairs.count;
    if (K > 0) {
      const L = this.L;
      const sequences: TokenBatch = {
        count: 2 * K,
        promptOf: concatInt32(pairs.promptOf, pairs.promptOf),
        lengths: concatInt32(pairs.chosenLen, pairs.rejectedLen),
        tokens: concatInt32(pairs.chosen.subarray(0, K * L), pairs.rejected.subarray(0, K * L)),
      };
      this.checkPrompts(sequences.promptOf, 'DPO pairs');
      const batch = sub.upload(packBatch(sequences, L));
      const visitGrad = this.grow('visitGrad', 2 * K * L * 8, this.batchHint(2 * K));
      const terms = this.grow('seqTerms', 2 * K * 16, this.batchHint(2 * K));
      sub.run(
        this.kernels.dpo_pairs,
        { count: K, loss_type: enumIndex(DPO_LOSS_TYPES, dpo.loss_type), beta: dpo.beta, label_smoothing: dpo.label_smoothing },
        { logits: this.buffers.logits, ref_logits: this.buffers.ref, rows: this.buffers.rowStats, batch, visit_grad: visitGrad, terms },
        this.groups(K),
      );
      this.reduce(sub, terms, 0, K, SLOT.objective);
      this.reduce(sub, terms, K, K, SLOT.objective2);
      this.encodeGradientStep(sub, this.grouping(sub, sequences.promptOf, 2 * K), batch, 2 * K, visitGrad, 1, hyper, 0, SLOT.objective);
    } else {
      this.encodeFinalizeOnly(sub);
    }
    return (s) => {
      const kl = measured.tokens ? s[STAT.kl] / measured.tokens : 0;
      const entropy = measured.tokens ? s[STAT.entropy] / measured.tokens : 0;
      if (K === 0) return { loss: 0, kl, entropy, grad_norm: 0, finite: true, ...dpoStats(0, 0, 0, 0, 0, 1) };
      const o = STAT.objective;
      const stats: UpdateStats = {
        loss: s[o] / K,
        kl,
        entropy,
        grad_norm: s[STAT.gradNorm],
        finite: true,
        ...dpoStats(s[o + 1], s[o + 2], s[o + 3], s[STAT.objective2], s[STAT.objective2 + 1], K),
      };
      stats.finite = s[STAT.nonFinite] === 0 && Number.isFinite(stats.loss) && Number.isFinite(stats.grad_norm);
      return stats;
    };
  }

  private encodeSft(sub: Submission, samples: TokenBatch, demos: TokenBatch, hyper: UpdateHyper): (s: Float32Array) => UpdateStats {
    const measured = this.encodeMeasure(sub, samples);
    const D = demos.count;
    let tokenCount = 0;
    for (let n = 0; n < D; n++) tokenCount += demos.lengths[n];
    if (tokenCount > 0) {
      const L = this.L;
      this.checkPrompts(demos.promptOf, 'SFT demonstrations');
      const batch = sub.upload(packBatch(demos, L));
      const visitGrad = this.grow('visitGrad', D * L * 8, this.batchHint(D));
      const terms = this.grow('seqTerms', D * 16, this.batchHint(D));
      sub.run(this.kernels.sft_tokens, { count: D, token_count: tokenCount }, { logits: this.buffers.logits, rows: this.buffers.rowStats, batch, visit_grad: visitGrad, terms }, this.groups(D));
      this.reduce(sub, terms, 0, D, SLOT.objective);
      this.encodeGradientStep(sub, this.grouping(sub, demos.promptOf, D), batch, D, visitGrad, 1, hyper, 0, SLOT.objective);
    } else {
      this.encodeFinalizeOnly(sub);
    }
    return (s) => {
      const stats: UpdateStats = {
        loss: tokenCount ? s[STAT.objective] / tokenCount : 0,
        kl: measured.tokens ? s[STAT.kl] / measured.tokens : 0,
        entropy: measured.tokens ? s[STAT.entropy] / measured.tokens : 0,
        grad_norm: tokenCount ? s[STAT.gradNorm] : 0,
        mean_token_accuracy: tokenCount ? s[STAT.objective + 1] / tokenCount : 0,
        finite: true,
      };
      stats.finite = s[STAT.nonFinite] === 0 && Number.isFinite(stats.loss) && Number.isFinite(stats.grad_norm);
      return stats;
    };
  }

  /** Row statistics at T = 1 and the exact KL / entropy over the states `samples` visit (DPO, SFT). */
  private encodeMeasure(sub: Submission, samples: TokenBatch): { tokens: number } {
    const N = samples.count;
    let tokens = 0;
    for (let n = 0; n < N; n++) tokens += samples.lengths[n];
    const batch = this.batchBinding(sub, samples);
    const terms = this.grow('visitTerms', N * 16, this.batchHint(N));
    this.encodeRowStats(sub, 1);
    sub.run(this.kernels.measure_tokens, { count: N }, { rows: this.buffers.rowStats, batch, terms }, this.groups(N));
    this.reduce(sub, terms, 0, N, SLOT.visits);
    return { tokens };
  }

  private encodeRowStats(sub: Submission, temperature: number): void {
    const b = this.buffers;
    sub.run(this.kernels.row_stats, { temperature }, { logits: b.logits, ref_logits: b.ref, rows: b.rowStats }, this.groups(this.rows));
  }

  /** accumulate → gradient rows → ‖g‖ → finalize → optimizer: one applyGradient of the CPU engine. */
  private encodeGradientStep(
    sub: Submission,
    grouping: { starts: ArenaRange; order: ArenaRange },
    batch: Binding,
    count: number,
    visitGrad: GPUBuffer,
    temperature: number,
    hyper: UpdateHyper,
    iteration: number,
    lossSlot: number,
  ): void {
    const b = this.buffers;
    const k = this.kernels;
    sub.run(k.accumulate, { count }, { prompt_start: grouping.starts, order: grouping.order, batch, visit_grad: visitGrad, cells: b.cells, row_entropy: b.rowEntropy }, this.groups(this.shape.prompts * this.L));
    sub.run(k.grad_rows, { temperature, cancel_eps: CANCEL_EPS }, { logits: b.logits, rows: b.rowStats, cells: b.cells, row_entropy: b.rowEntropy, grad: b.grad, row_sq: b.rowSq }, this.groups(this.rows));
    this.reduce(sub, b.rowSq, 0, this.rows, SLOT.gradSq);
    const opt = hyper.optimizer;
    sub.run(k.finalize, { iteration, loss_slot: lossSlot, max_grad_norm: opt.max_grad_norm ?? 0, has_gradient: 1 }, { sums: b.sums, stats: b.stats, control: b.control }, 1);
    const t = ++this.optSteps;
    const bc1 = 1 - Math.pow(opt.adam_beta1, t);
    const bc2 = 1 - Math.pow(opt.adam_beta2, t);
    sub.run(
      k.optimizer,
      {
        count: this.params,
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
      { grad: b.grad, control: b.control, logits: b.logits, adam_m: b.adamM, adam_v: b.adamV },
      this.groups(this.params),
    );
  }

  /** No gradient this step (DPO without pairs): the statistics still go through finalize. */
  private encodeFinalizeOnly(sub: Submission): void {
    const b = this.buffers;
    sub.run(this.kernels.finalize, { iteration: 0, loss_slot: SLOT.visits, max_grad_norm: 0, has_gradient: 0 }, { sums: b.sums, stats: b.stats, control: b.control }, 1);
  }

  /** Sums `count` vec4 terms of `input` from `offset` into sums[slot], in as many fixed-order passes as needed. */
  private reduce(sub: Submission, input: GPUBuffer, offset: number, count: number, slot: number): void {
    let source: GPUBuffer = input;
    let sourceOffset = offset;
    let n = count;
    for (let pass = 0; ; pass++) {
      const partials = Math.max(1, Math.ceil(n / REDUCE_CHUNK));
      if (partials === 1) {
        sub.run(this.kernels.reduce, { count: n, in_offset: sourceOffset, out_index: slot }, { input: source, output: this.buffers.sums }, 1);
        return;
      }
      const target = this.grow(pass % 2 === 0 ? 'partialsA' : 'partialsB', partials * 16, '');
      sub.run(this.kernels.reduce, { count: n, in_offset: sourceOffset, out_index: 0 }, { input: source, output: target }, this.groups(partials));
      source = target;
      sourceOffset = 0;
      n = partials;
    }
  }

  /** Answers grouped by prompt (a stable counting sort), the fixed order accumulate.wgsl sums in. */
  private grouping(sub: Submission, promptOf: Int32Array, count: number): { starts: ArenaRange; order: ArenaRange } {
    const P = this.shape.prompts;
    const starts = new Uint32Array(P + 1);
    for (let n = 0; n < count; n++) starts[promptOf[n] + 1]++;
    for (let p = 0; p < P; p++) starts[p + 1] += starts[p];
    const next = starts.slice(0, P);
    const order = new Uint32Array(Math.max(count, 1));
    for (let n = 0; n < count; n++) order[next[promptOf[n]]++] = n;
    return { starts: sub.upload(starts), order: sub.upload(order) };
  }

  /** The sampled batch if it is still on the device, else an upload of `samples`. */
  private batchBinding(sub: Submission, samples: TokenBatch): Binding {
    if (samples === this.batchOnDevice) return this.growable.get('sampleBatch')!;
    this.checkPrompts(samples.promptOf, 'samples');
    return sub.upload(packBatch(samples, this.L));
  }

  // ------------------------------------------------------------------ state

  async readState(): Promise<PolicyState> {
    const sub = this.take();
    sub.contents.push('readState');
    const bytes = this.params * 4;
    const parts = [this.buffers.logits, this.buffers.ref, this.buffers.adamM, this.buffers.adamV].map((b) => sub.readback(b, 0, bytes));
    const prior = this.inflight;
    let meta = { optSteps: this.optSteps, baseline: this.baseline };
    this.scheduleFlush();
    const [logits, ref, m, v] = await Promise.all(parts);
    if (prior?.diverged) meta = prior.before;
    return {
      shape: { ...this.shape },
      logits: new Float32Array(logits),
      ref: new Float32Array(ref),
      adamM: new Float32Array(m),
      adamV: new Float32Array(v),
      optSteps: meta.optSteps,
      baseline: meta.baseline,
    };
  }

  async readPolicy(): Promise<PolicyParameters> {
    const sub = this.take();
    sub.contents.push('readPolicy');
    const bytes = this.params * 4;
    const parts = [this.buffers.logits, this.buffers.ref].map((b) => sub.readback(b, 0, bytes));
    this.scheduleFlush();
    const [params, ref] = await Promise.all(parts);
    return { shape: { ...this.shape }, params: new Float32Array(params), ref: new Float32Array(ref) };
  }

  async writeState(state: PolicyState): Promise<void> {
    checkShape('WebGpuBackend', state, { shape: this.shape });
    if (this.lostError) throw this.lostError;
    this.flush();
    const q = this.device.queue;
    q.writeBuffer(this.buffers.logits, 0, state.logits);
    q.writeBuffer(this.buffers.ref, 0, state.ref);
    q.writeBuffer(this.buffers.adamM, 0, state.adamM);
    q.writeBuffer(this.buffers.adamV, 0, state.adamV);
    this.optSteps = state.optSteps;
    this.baseline = state.baseline;
    this.batchOnDevice = null;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending = null;
    for (const b of [...Object.values(this.buffers), ...this.growable.values(), ...this.retired, this.arena]) b.destroy();
    this.runtime.release();
  }

  // ------------------------------------------------------------------ submission plumbing

  private take(): Submission {
    if (this.disposed) throw new Error('WebGpuBackend: used after dispose()');
    this.pending ??= new Submission();
    return this.pending;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    nextMacrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Submits the collected work as one command buffer and maps its staging buffer once. */
  private flush(): void {
    const sub = this.pending;
    this.pending = null;
    if (!sub || sub.empty) return;
    if (this.lostError) {
      for (const r of sub.readers) r.reject(this.lostError);
      return;
    }
    if (sub.arenaBytes > this.arena.size) {
      this.retired.push(this.arena);
      this.arena = this.createArena(sub.arenaBytes);
    }
    const stagingBytes = sub.readbackBytes;
    const staging = stagingBytes > 0 ? this.pool.acquire(stagingBytes) : null;
    const started = performance.now();
    const commands = sub.encode(this.device, this.arena, staging, this.maxGroupsPerDimension);
    this.device.queue.submit([commands]);
    this.counters.submits++;
    const profile: FlushProfile | null = this.profiling ? { contents: sub.contents.join('+'), encodeMs: performance.now() - started, gpuMs: 0, readbackMs: 0 } : null;
    if (profile) this.profile.push(profile);
    // Destroying after the submit is safe: WebGPU frees them once the queued work is done.
    for (const b of this.retired) b.destroy();
    this.retired = [];
    if (staging) {
      this.counters.readbacks++;
      void this.deliver(staging, stagingBytes, sub.readers, profile);
    }
  }

  private async deliver(staging: GPUBuffer, bytes: number, readers: Submission['readers'], profile: FlushProfile | null): Promise<void> {
    try {
      if (profile) {
        const submitted = performance.now();
        await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lostSignal]);
        profile.gpuMs = performance.now() - submitted;
      }
      const done = performance.now();
      await Promise.race([staging.mapAsync(GPUMapMode.READ, 0, bytes), this.lostSignal]);
      const bug = this.gd.firstError();
      if (bug) throw new Error(`WebGPU reported an error while running the kernels: ${bug}`);
      const mapped = staging.getMappedRange(0, bytes);
      for (const r of readers) r.resolve(mapped.slice(r.stagingOffset, r.stagingOffset + r.size));
      if (profile) profile.readbackMs = performance.now() - done;
      staging.unmap();
      this.pool.release(staging);
    } catch (e) {
      // A destroyed device fails the map (AbortError) just before `lost` resolves; give it a moment to say why.
      if (!this.lostError) await Promise.race([this.gd.lost, new Promise((r) => setTimeout(r, 250))]);
      const error = this.lostError ?? e;
      for (const r of readers) r.reject(error);
    }
  }

  private groups(invocations: number): number {
    return Math.ceil(invocations / this.wg);
  }

  private createBuffer(label: string, bytes: number, usage: number, hint: string): GPUBuffer {
    const size = align(Math.max(bytes, 16), 16);
    if (size > this.maxBytes) {
      throw new GpuLimitError(`the ${label} buffer needs ${MB(size)} but this WebGPU device allows ${MB(this.maxBytes)} per buffer${hint ? `: ${hint}` : ''}`);
    }
    return this.device.createBuffer({ label, size, usage });
  }

  private createArena(bytes: number): GPUBuffer {
    return this.createBuffer('uploads', align(bytes, 256), GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'reduce batch_prompts × num_generations');
  }

  /** A batch-sized buffer of at least `bytes`, regrown (doubling) when a batch outgrows it. */
  private grow(name: string, bytes: number, hint: string): GPUBuffer {
    const have = this.growable.get(name);
    if (have && have.size >= bytes) return have;
    const size = Math.min(Math.max(bytes, (have?.size ?? 0) * 2), Math.max(bytes, this.maxBytes));
    if (have) this.retired.push(have);
    const buffer = this.createBuffer(name, size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, hint);
    this.growable.set(name, buffer);
    if (name === 'sampleBatch') this.batchOnDevice = null;
    return buffer;
  }


  private batchHint(count: number): string {
    return `a batch of ${count} answers of max_len ${this.L} is too large; reduce batch_prompts × num_generations (or policy.max_len)`;
  }

  private checkPrompts(promptOf: Int32Array, what: string): void {
    const P = this.shape.prompts;
    for (let i = 0; i < promptOf.length; i++) {
      if (!(promptOf[i] >= 0 && promptOf[i] < P)) throw new Error(`${what}: row ${i} names prompt ${promptOf[i]}, but the policy has prompts 0..${P - 1}`);
    }
  }
}

function policyHint(s: PolicyShape): string {
  return policyModel(s.kind).sizeHint(s);
}

/** prompt of each answer | length | tokens, as u32 (the kernels' `batch` layout). */
function packBatch(b: TokenBatch, L: number): Uint32Array {
  const N = b.count;
  const out = new Uint32Array(2 * N + N * L);
  out.set(b.promptOf.subarray(0, N), 0);
  out.set(b.lengths.subarray(0, N), N);
  out.set(b.tokens.subarray(0, N * L), 2 * N);
  return out;
}

function concatInt32(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}


/**
 * Runs `fn` after the current task and its microtasks: late enough that a
 * `sample` called right after `update` (or awaited behind promise callbacks)
 * joins the same submit, without a timer's minimum delay.
 */
function nextMacrotask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    g.setImmediate(fn);
    return;
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    fn();
  };
  channel.port2.postMessage(null);
}
