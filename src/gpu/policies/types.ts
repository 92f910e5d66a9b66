/**
 * What a policy model is to the WebGPU backend: the GPU counterpart of
 * CpuPolicyModel (src/engine/policies/types.ts). The backend owns the flat
 * parameter buffers (parameters, reference, Adam moments, gradient) and the
 * batches; the objective kernels (shaders/objectives/) see the policy only
 * through the per-visit statistics `visits` writes, and hand back the upstream
 * gradient per visit, which `backward` turns into the flat gradient the
 * optimizer (shaders/optimizer/) applies. A new kind implements this in its
 * own module and its own shaders/ folder, and is registered in
 * src/gpu/policies/index.ts.
 *
 * Layouts every model reads or writes (visit v = n * maxLen + t):
 * - batch: [prompt of each answer (count) | length (count) | tokens (count × maxLen)], u32;
 * - visits[v] = (log π(token), log π(token) − log π_ref(token), H(π(·|visit)), KL(π ‖ π_ref)) at T, vec4<f32>;
 * - greedy[v] = the first most likely token at the visit, u32 (only when asked);
 * - visit_grad[v] = (∂L/∂log π(token), −∂L/∂H), vec2<f32>: y is the entropy bonus weight (entropy_coef / tokens, as shaders/objectives/ write it), the negative of the CPU models' dLdH.
 *
 * Call order per update: prepare(T) → visits(batch, T) → (objective kernel) →
 * backward(batch). `backward` always follows the last `visits` of the same
 * batch (DPO and SFT first take `visits` of the measurement batch, then of the
 * pairs or demonstrations), so a model that keeps activations for its backward
 * keeps those of its last `visits`.
 */
import type { PolicyShape } from '../../engine/policies/types.ts';
import type { StreamId } from '../../engine/prng.ts';
import type { Kernel } from '../kernels.ts';
import type { ArenaRange, Binding, Submission } from '../submission.ts';

/** What the backend lends a model: its device, its buffers, and checked buffer creation. */
export interface GpuPolicyContext {
  device: GPUDevice;
  /** A policy-sized storage buffer, refused (GpuLimitError, naming the config fields) when larger than the device allows. */
  createBuffer(label: string, bytes: number): GPUBuffer;
  /** Workgroups for a 1-D problem of `invocations`. */
  groups(invocations: number): number;
  /** The flat parameters and the frozen reference (paramCount f32 each). */
  params: GPUBuffer;
  ref: GPUBuffer;
  /** The flat gradient `backward` writes (paramCount f32). */
  grad: GPUBuffer;
}

/** A batch on the device and the host's copy of which prompt each answer is for. */
export interface DeviceBatch {
  binding: Binding;
  count: number;
  promptOf: Int32Array;
}

export interface GpuPolicyModel {
  /** Work every later `visits` / `backward` at temperature T needs (the tables: softmax statistics of every row). */
  prepare(sub: Submission, T: number): void;
  /** Per-visit statistics of `batch` at the T of the last `prepare` (see the layouts above). */
  visits(sub: Submission, batch: DeviceBatch, T: number, out: { visits: GPUBuffer; greedy: GPUBuffer }, withGreedy: boolean): void;
  /** Draws one answer per entry of `prompts` into `batch` (counter-based draws keyed by seed, stream, step, answer, position). */
  sample(sub: Submission, prompts: ArenaRange, count: number, batch: GPUBuffer, draw: { seed: number; stream: StreamId; step: number; temperature: number }): void;
  /**
   * From the upstream `visitGrad` of `batch` to the flat gradient (ctx.grad) at
   * the T of the last `prepare`; returns vec4 terms whose x components sum to Σ grad²
   * (the backend reduces them in a fixed order).
   */
  backward(sub: Submission, batch: DeviceBatch, visitGrad: GPUBuffer, T: number): { terms: GPUBuffer; count: number };
  destroy(): void;
}

/** A policy kind on the GPU: its kernels and how to build its model for one shape. */
export interface GpuPolicyKind {
  /** Its kernel files under shaders/, without ".wgsl" (e.g. "table/sample"). */
  kernels: readonly string[];
  /** Libraries prepended to its kernels after the shared ones. */
  libraries: readonly string[];
  /** Its own header constants for one shape (WGSL lines), after the shared ones. */
  header(shape: PolicyShape): string[];
  /** Bytes of its largest buffer, checked against the device before anything compiles. */
  largestBuffer(shape: PolicyShape): number;
  /**
   * What else of this shape the device cannot run, checked before anything
   * compiles (a pipeline the device refuses fails with the driver's words):
   * a message naming the config fields to change, or null.
   */
  deviceLimit?(shape: PolicyShape, limits: GPUSupportedLimits): string | null;
  create(ctx: GpuPolicyContext, shape: PolicyShape, kernels: Record<string, Kernel>): GpuPolicyModel;
}
