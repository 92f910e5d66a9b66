/**
 * The WebGPU backend: the whole training step in WGSL kernels (shaders/),
 * computing what CpuBackend computes — same formulas, same counter-based
 * draws — with deterministic reductions (fixed order, no float atomics).
 *
 * Composed as on the CPU (docs/architecture.md): the objectives' dispatch
 * sequences (src/gpu/objectives.ts), the policy model chosen by `shape.kind`
 * from the GPU registry (src/gpu/policies/), and the optimizer over the flat
 * parameters (src/gpu/optimizer.ts), on a device and pipeline cache that the
 * lanes share (src/gpu/runtime.ts). This file holds the lane's state buffers,
 * the submits and readbacks, and the Backend interface.
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
import type { Backend, TokenBatch, UpdateHyper, UpdateRequest, UpdateStats } from '../engine/backend.ts';
import { checkShape } from '../engine/cpu-backend.ts';
import { policyModel } from '../engine/policies/index.ts';
import { paramCount, type PolicyParameters, type PolicyShape, type PolicyState } from '../engine/policy.ts';
import type { StreamId } from '../engine/prng.ts';
import type { GpuDevice } from './device.ts';
import { kernelHeader, type KernelSet, SHARED_KERNELS, type SharedKernelName } from './kernels.ts';
import { encodeDpo, encodeRft, encodeSft, type ObjectiveContext, type ReadStats } from './objectives.ts';
import { encodeRestore, encodeSnapshot, STATS_FLOATS } from './optimizer.ts';
import { gpuPolicyModel } from './policies/index.ts';
import type { DeviceBatch, GpuPolicyModel } from './policies/types.ts';
import { GpuRuntime } from './runtime.ts';
import { loadShaderSources, type ShaderSources } from './shaders.ts';
import { align, StagingPool, Submission } from './submission.ts';

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
  /** Replaces the WGSL sources (tests of compile errors); default: every file under shaders/. */
  shaderSources?: ShaderSources;
  /**
   * Caps workgroups per grid dimension below the device's limit, so tests can
   * exercise the 2-D grids that only huge batches need on a real device.
   */
  maxWorkgroupsPerDimension?: number;
}

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
  private readonly kernels: KernelSet<SharedKernelName>;
  private readonly policy: GpuPolicyModel;
  private readonly shape: PolicyShape;
  private readonly L: number;
  private readonly params: number;
  private readonly wg: number;
  private readonly maxBytes: number;
  private readonly pool: StagingPool;
  /** The flat parameter state (the policy model's own buffers live in `policy`) and the step's bookkeeping. */
  private readonly buffers: Record<'params' | 'ref' | 'adamM' | 'adamV' | 'saved' | 'grad' | 'sums' | 'stats' | 'control', GPUBuffer>;
  /** Buffers whose size follows the batch; grown on demand. */
  private readonly growable = new Map<string, GPUBuffer>();
  /** Outgrown buffers that queued work may still reference; destroyed after the next submit. */
  private retired: GPUBuffer[] = [];
  private arena: GPUBuffer;
  /** Host state of the optimizer and the REINFORCE baseline (f64, as on the CPU). */
  private readonly host: { optSteps: number; baseline: number };
  private pending: Submission | null = null;
  private flushScheduled = false;
  /** The batch whose tokens are in the `sampleBatch` buffer (updates then skip the upload). */
  private batchOnDevice: TokenBatch | null = null;
  private inflight: InflightUpdate | null = null;
  private lostError: Error | null = null;
  private readonly lostSignal: Promise<never>;
  private disposed = false;

  /**
   * A backend on `options.runtime` (else a device of its own on `gpu`) with the
   * shared kernels and those of the policy model `state.shape.kind` picks from
   * the GPU registry.
   */
  static async create(gpu: GPU, state: PolicyState, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const runtime = options.runtime ?? (await GpuRuntime.create(gpu));
    runtime.acquire();
    const gd = runtime.gd;
    try {
      const shape = state.shape;
      const kind = gpuPolicyModel(shape.kind);
      // Before compiling (seconds on a software adapter): the policy's largest buffer, and the flat saved state (3 copies).
      const limit = Math.min(gd.device.limits.maxStorageBufferBindingSize, gd.device.limits.maxBufferSize);
      const largest = Math.max(kind.largestBuffer(shape), paramCount(shape) * 12);
      if (largest > limit) {
        throw new GpuLimitError(`the policy needs ${MB(largest)} buffers but this WebGPU device allows ${MB(limit)} per buffer: ${policyHint(shape)}`);
      }
      const refused = kind.deviceLimit?.(shape, gd.device.limits);
      if (refused) throw new GpuLimitError(refused);
      const sources = options.shaderSources ?? (await loadShaderSources());
      const constants = { workgroupSize: gd.workgroupSize, vocab: shape.vocab, maxLen: shape.maxLen, prompts: shape.prompts };
      const [shared, own] = await runtime.kernels(
        [
          { files: SHARED_KERNELS, header: kernelHeader(constants), libraries: [] },
          { files: kind.kernels, header: kernelHeader(constants, kind.header(shape)), libraries: kind.libraries },
        ],
        sources,
      );
      const backend = new WebGpuBackend(runtime, shared as KernelSet<SharedKernelName>, own, state, options.maxWorkgroupsPerDimension);
      await backend.writeState(state);
      return backend;
    } catch (e) {
      runtime.release();
      throw e;
    }
  }

  private readonly maxGroupsPerDimension: number;

  private readonly runtime: GpuRuntime;

  private constructor(runtime: GpuRuntime, kernels: KernelSet<SharedKernelName>, policyKernels: KernelSet, state: PolicyState, maxGroupsPerDimension?: number) {
    const gd = runtime.gd;
    this.runtime = runtime;
    this.gd = gd;
    this.device = gd.device;
    this.kernels = kernels;
    this.label = `webgpu (${gd.adapterName})`;
    this.shape = { ...state.shape };
    this.L = state.shape.maxLen;
    this.params = paramCount(this.shape);
    this.wg = gd.workgroupSize;
    this.maxBytes = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    this.maxGroupsPerDimension = Math.min(maxGroupsPerDimension ?? Infinity, this.device.limits.maxComputeWorkgroupsPerDimension);
    this.host = { optSteps: state.optSteps, baseline: state.baseline };
    this.pool = new StagingPool(this.device);
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const P = this.params * 4;
    const hint = policyHint(this.shape);
    const policy = (label: string, bytes: number) => this.createBuffer(label, bytes, STORAGE, hint);
    this.buffers = {
      params: policy('parameters', P),
      ref: policy('reference parameters', P),
      adamM: policy('adam m', P),
      adamV: policy('adam v', P),
      saved: policy('saved state', 3 * P),
      grad: policy('gradient', P),
      sums: this.createBuffer('sums', 16 * 16, STORAGE, ''),
      stats: this.createBuffer('stats', STATS_FLOATS * 4, STORAGE, ''),
      control: this.createBuffer('control', 16, STORAGE, ''),
    };
    this.policy = gpuPolicyModel(this.shape.kind).create(
      {
        device: this.device,
        createBuffer: (label, bytes) => policy(label, bytes),
        groups: (n) => this.groups(n),
        params: this.buffers.params,
        ref: this.buffers.ref,
        grad: this.buffers.grad,
      },
      this.shape,
      policyKernels,
    );
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
      this.policy.sample(sub, prompts, N, batch, { seed, stream, step, temperature });
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
      const inflight: InflightUpdate = { before: { ...this.host }, diverged: false };
      const ctx = this.context(sub);
      encodeSnapshot(ctx, this.buffers.saved);
      let interpret: ReadStats;
      if (request.objective === 'rft') interpret = encodeRft(ctx, request.samples, request.rewards, hyper);
      else if (request.objective === 'dpo') interpret = encodeDpo(ctx, request.samples, request.pairs, hyper);
      else interpret = encodeSft(ctx, request.samples, request.demos, hyper);
      encodeRestore(ctx, this.buffers.saved);
      const raw = sub.readback(this.buffers.stats, 0, STATS_FLOATS * 4);
      this.inflight = inflight;
      this.scheduleFlush();
      return raw
        .then((buffer) => {
          const stats = interpret(new Float32Array(buffer));
          if (!stats.finite) {
            stats.finite = false;
            inflight.diverged = true;
            this.host.optSteps = inflight.before.optSteps;
            this.host.baseline = inflight.before.baseline;
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

  /** What the objective and optimizer encoders use of this lane, for one submission. */
  private context(sub: Submission): ObjectiveContext {
    const b = this.buffers;
    return {
      sub,
      kernels: this.kernels,
      policy: this.policy,
      maxLen: this.L,
      paramCount: this.params,
      buffers: { params: b.params, adamM: b.adamM, adamV: b.adamV, grad: b.grad, sums: b.sums, stats: b.stats, control: b.control },
      host: this.host,
      groups: (n) => this.groups(n),
      grow: (name, bytes, hint) => this.grow(name, bytes, hint),
      batchHint: (n) => this.batchHint(n),
      batch: (samples, what) => this.deviceBatch(sub, samples, what),
    };
  }

  /** The sampled batch if it is still on the device, else an upload of `samples`. */
  private deviceBatch(sub: Submission, samples: TokenBatch, what: string): DeviceBatch {
    const promptOf = samples.promptOf;
    if (samples === this.batchOnDevice) return { binding: this.growable.get('sampleBatch')!, count: samples.count, promptOf };
    this.checkPrompts(promptOf, what);
    return { binding: sub.upload(packBatch(samples, this.L)), count: samples.count, promptOf };
  }

  // ------------------------------------------------------------------ state

  async readState(): Promise<PolicyState> {
    const sub = this.take();
    sub.contents.push('readState');
    const bytes = this.params * 4;
    const parts = [this.buffers.params, this.buffers.ref, this.buffers.adamM, this.buffers.adamV].map((b) => sub.readback(b, 0, bytes));
    const prior = this.inflight;
    let meta = { ...this.host };
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
    const parts = [this.buffers.params, this.buffers.ref].map((b) => sub.readback(b, 0, bytes));
    this.scheduleFlush();
    const [params, ref] = await Promise.all(parts);
    return { shape: { ...this.shape }, params: new Float32Array(params), ref: new Float32Array(ref) };
  }

  async writeState(state: PolicyState): Promise<void> {
    checkShape('WebGpuBackend', state, { shape: this.shape });
    if (this.lostError) throw this.lostError;
    this.flush();
    const q = this.device.queue;
    q.writeBuffer(this.buffers.params, 0, state.logits);
    q.writeBuffer(this.buffers.ref, 0, state.ref);
    q.writeBuffer(this.buffers.adamM, 0, state.adamM);
    q.writeBuffer(this.buffers.adamV, 0, state.adamV);
    this.host.optSteps = state.optSteps;
    this.host.baseline = state.baseline;
    this.batchOnDevice = null;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending = null;
    for (const b of [...Object.values(this.buffers), ...this.growable.values(), ...this.retired, this.arena]) b.destroy();
    this.policy.destroy();
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
