/**
 * The transformer's WGSL kernels (shaders/transformer/), one per op of
 * src/models/transformer/ops.ts and named after it, and a thin encoder that
 * queues each op's dispatch on a Submission by the names its WGSL declares
 * (Submission.run checks them). Nothing here allocates activations or owns a
 * model: a caller composes the ops into a forward and backward pass.
 *
 * Conventions are ops.ts's: activations [rows][channels] with rows = B·T,
 * weights [out][in], backward kernels *add* into their gradients (callers
 * clear them), every output element is one sum in a fixed order owned by one
 * invocation: no float atomics, so a device gives the same bits every run.
 * Only the attention kernels depend on the shape at compile time (their
 * workgroup arrays are TF_T × TF_HS): the rest take every size as a uniform.
 */
import { kernelHeader, type BaseName, type KernelSet, type KernelSetSpec } from '../kernels.ts';
import type { GpuRuntime } from '../runtime.ts';
import type { ShaderSources } from '../shaders.ts';
import type { Binding, Submission } from '../submission.ts';

export const TRANSFORMER_KERNELS = [
  'transformer/encoder_forward',
  'transformer/encoder_backward',
  'transformer/layernorm_forward',
  'transformer/layernorm_backward',
  'transformer/matmul_forward',
  'transformer/matmul_backward_input',
  'transformer/matmul_backward_weight',
  'transformer/attention_forward',
  'transformer/attention_backward',
  'transformer/gelu_forward',
  'transformer/gelu_backward',
  'transformer/logsoftmax_forward',
  'transformer/logsoftmax_backward',
  'transformer/rope_forward',
  'transformer/rope_backward',
] as const;
export type TransformerKernelName = BaseName<(typeof TRANSFORMER_KERNELS)[number]>;

/** What the kernels are compiled for. */
export interface TransformerKernelShape {
  /** Largest sequence length T the attention kernels will see. */
  context: number;
  /** Channels per head (d_model / heads). */
  headSize: number;
  /** Vocabulary size (goes into the shared header's V; the kernels take theirs as a uniform). */
  vocab: number;
  /** Invocations per workgroup of the element-wise kernels (the device's, from GpuDevice). */
  workgroupSize: number;
  /**
   * How the matmul kernels read their operands (the same sums in the same
   * order either way, so the same bits): 'shared' stages 16 × 16 tiles in
   * workgroup memory, as a GPU wants; 'direct' has each invocation make a
   * 4 × 4 block of outputs from storage with no barrier, which a software renderer
   * runs several times faster (SwiftShader runs a barrier as a switch of every
   * invocation's fiber). Default 'shared'.
   */
  matmul?: 'shared' | 'direct';
}

/**
 * Matmul tiles are TILE × TILE (matmul_*.wgsl); attention_backward's
 * workgroups have ATT_WG invocations (attention_backward.wgsl's constant):
 * 16, not 64, since a (sequence, head) has only T ≤ ~12 query rows and T·hs
 * elements, and SwiftShader runs each barrier as a switch of every fiber of
 * the workgroup (RFT at 2 × 32 on SwiftShader: ~0.6 → ~0.8 steps/s).
 * attention_forward has no workgroup: one invocation per query row.
 */
export const TILE = 16;
const ATT_WG = 16;
/** Invocations per workgroup of the direct matmuls, each making a 4 × 4 block of outputs. */
const MM_DIRECT_WG = 64;

/** Workgroup memory of attention_backward (the larger of the two): q, k, v, dout of a head and the T × T dpre. */
export function attentionWorkgroupBytes(context: number, headSize: number): number {
  return 4 * (4 * context * headSize + context * context);
}

export function transformerKernelSet(shape: TransformerKernelShape): KernelSetSpec {
  return {
    files: TRANSFORMER_KERNELS,
    header: kernelHeader({ workgroupSize: shape.workgroupSize, vocab: shape.vocab, maxLen: shape.context, prompts: 1 }, transformerHeaderLines(shape)),
    libraries: [],
  };
}

/** The transformer kernels' own header constants (after the shared header's). */
export function transformerHeaderLines(shape: Pick<TransformerKernelShape, 'context' | 'headSize' | 'matmul'>): string[] {
  return [
    `const TF_T: u32 = ${shape.context}u;`,
    `const TF_HS: u32 = ${shape.headSize}u;`,
    `const MATMUL_SHARED: bool = ${shape.matmul !== 'direct'};`,
    // The matmuls' workgroup: a 16 × 16 tile, or 64 invocations of 4 outputs each.
    shape.matmul === 'direct' ? `const MM_WG_X: u32 = ${MM_DIRECT_WG}u;` : `const MM_WG_X: u32 = ${TILE}u;`,
    shape.matmul === 'direct' ? 'const MM_WG_Y: u32 = 1u;' : `const MM_WG_Y: u32 = ${TILE}u;`,
  ];
}

const groups = (n: number, per: number) => Math.ceil(n / per);

/**
 * Queues the transformer's ops. `dispatches` counts what was queued, so a
 * composed pass can report its cost. Optional inputs (no position table, no
 * bias, no residual) are bound to a 16-byte placeholder the kernel never reads.
 */
export class TransformerKernels {
  dispatches = 0;
  private readonly placeholder: GPUBuffer;
  /** The placeholder of an optional output (a buffer bound writable may not also be bound read-only). */
  private readonly writable: GPUBuffer;

  private constructor(
    readonly device: GPUDevice,
    readonly k: KernelSet<TransformerKernelName>,
    readonly shape: TransformerKernelShape,
  ) {
    this.placeholder = device.createBuffer({ label: 'transformer placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.writable = device.createBuffer({ label: 'transformer output placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  static async create(runtime: GpuRuntime, sources: ShaderSources, shape: Omit<TransformerKernelShape, 'workgroupSize'>): Promise<TransformerKernels> {
    const limit = runtime.device.limits.maxComputeWorkgroupStorageSize;
    const bytes = attentionWorkgroupBytes(shape.context, shape.headSize);
    if (bytes > limit) {
      throw new Error(`a context of ${shape.context} with head size ${shape.headSize} needs ${bytes} bytes of workgroup memory for attention; this device has ${limit}`);
    }
    const full = { ...shape, workgroupSize: runtime.gd.workgroupSize };
    const [set] = await runtime.kernels([transformerKernelSet(full)], sources);
    return new TransformerKernels(runtime.device, set as KernelSet<TransformerKernelName>, full);
  }

  /** Over kernels compiled elsewhere (a lane's backend compiles a policy kind's kernels with its own header). */
  static fromKernels(device: GPUDevice, kernels: Record<string, import('../kernels.ts').Kernel>, shape: TransformerKernelShape): TransformerKernels {
    for (const file of TRANSFORMER_KERNELS) {
      const name = file.slice(file.indexOf('/') + 1);
      if (!kernels[name]) throw new Error(`TransformerKernels: kernel ${name} was not compiled`);
    }
    return new TransformerKernels(device, kernels as KernelSet<TransformerKernelName>, shape);
  }

  destroy(): void {
    this.placeholder.destroy();
    this.writable.destroy();
  }

  private run(sub: Submission, name: TransformerKernelName, uniforms: Record<string, number>, buffers: Record<string, Binding>, workgroups: number): void {
    sub.run(this.k[name], uniforms, buffers, workgroups);
    this.dispatches++;
  }

  private elementwise(n: number): number {
    return groups(n, this.shape.workgroupSize);
  }

  /** Workgroups of a matmul over an [n][m] result (direct: `rowsPer` × 4 outputs per invocation). */
  private matmulGroups(n: number, m: number, rowsPer = 1): number {
    return this.shape.matmul === 'direct' ? groups(Math.ceil(n / rowsPer) * Math.ceil(m / 4), MM_DIRECT_WG) : groups(n, TILE) * groups(m, TILE);
  }

  private checkHead(T: number, NH: number, C: number): void {
    if (T > this.shape.context) throw new Error(`attention: sequence length ${T} is beyond the compiled context ${this.shape.context}`);
    if (C / NH !== this.shape.headSize) throw new Error(`attention: head size ${C / NH} is not the compiled ${this.shape.headSize}`);
  }

  /** out[rows][C] = wte[token] + wpe[t] (wpe null: rotary positions). */
  encoder_forward(sub: Submission, a: { rows: number; T: number; C: number; tokens: Binding; wte: Binding; wpe: Binding | null; out: Binding }): void {
    this.run(sub, 'encoder_forward', { rows: a.rows, seq_len: a.T, channels: a.C, use_wpe: a.wpe ? 1 : 0 }, { tokens: a.tokens, wte: a.wte, wpe: a.wpe ?? this.placeholder, out: a.out }, this.elementwise(a.rows * a.C));
  }

  /** dwte (and dwpe) += the gathered position gradients; `vocab` rows of wte. */
  encoder_backward(sub: Submission, a: { rows: number; T: number; C: number; vocab: number; tokens: Binding; dout: Binding; dwte: Binding; dwpe: Binding | null }): void {
    const n = a.vocab * a.C + (a.dwpe ? a.T * a.C : 0);
    this.run(sub, 'encoder_backward', { rows: a.rows, seq_len: a.T, channels: a.C, vocab: a.vocab, use_wpe: a.dwpe ? 1 : 0 }, { tokens: a.tokens, dout: a.dout, dwte: a.dwte, dwpe: a.dwpe ?? this.placeholder }, this.elementwise(n));
  }

  layernorm_forward(sub: Submission, a: { rows: number; C: number; eps: number; inp: Binding; weight: Binding; bias: Binding; out: Binding; mean: Binding; rstd: Binding }): void {
    const { rows, C, eps, ...buffers } = a;
    this.run(sub, 'layernorm_forward', { rows, channels: C, eps }, buffers, this.elementwise(rows));
  }

  /** dinp, dweight, dbias += (one dispatch: rows own dinp, channels own the parameter sums). */
  layernorm_backward(sub: Submission, a: { rows: number; C: number; dout: Binding; inp: Binding; weight: Binding; mean: Binding; rstd: Binding; dinp: Binding; dweight: Binding; dbias: Binding }): void {
    const { rows, C, ...buffers } = a;
    this.run(sub, 'layernorm_backward', { rows, channels: C }, buffers, this.elementwise(rows + C));
  }

  /** out = inp · weightᵀ + bias (+ residual); with `gelu`, also gelu = GELU(out) (gelu_forward's formula). */
  matmul_forward(sub: Submission, a: { rows: number; C: number; OC: number; inp: Binding; weight: Binding; bias: Binding | null; residual?: Binding | null; out: Binding; gelu?: Binding | null }): void {
    const uniforms = { rows: a.rows, channels: a.C, out_channels: a.OC, has_bias: a.bias ? 1 : 0, has_residual: a.residual ? 1 : 0, has_gelu: a.gelu ? 1 : 0 };
    const buffers = { inp: a.inp, weight: a.weight, bias: a.bias ?? this.placeholder, residual: a.residual ?? this.placeholder, out: a.out, act: a.gelu ?? this.writable };
    this.run(sub, 'matmul_forward', uniforms, buffers, this.matmulGroups(a.rows, a.OC, 4));
  }

  /**
   * dinp += dout · weight; with `assign`, dinp = dout · weight (no clear
   * needed); with `geluInp`, the product is the gradient at GELU's output and
   * dinp gets it times GELU's derivative at geluInp (gelu_backward fused in).
   */
  matmul_backward_input(sub: Submission, a: { rows: number; C: number; OC: number; dout: Binding; weight: Binding; dinp: Binding; assign?: boolean; geluInp?: Binding | null }): void {
    const { rows, C, OC } = a;
    const uniforms = { rows, channels: C, out_channels: OC, accumulate: a.assign ? 0 : 1, has_gelu: a.geluInp ? 1 : 0 };
    this.run(sub, 'matmul_backward_input', uniforms, { dout: a.dout, weight: a.weight, dinp: a.dinp, gelu_inp: a.geluInp ?? this.placeholder }, this.matmulGroups(rows, C, 4));
  }

  /** dweight += doutᵀ · inp, dbias += Σ_rows dout. */
  matmul_backward_weight(sub: Submission, a: { rows: number; C: number; OC: number; dout: Binding; inp: Binding; dweight: Binding; dbias: Binding | null }): void {
    const uniforms = { rows: a.rows, channels: a.C, out_channels: a.OC, has_bias: a.dbias ? 1 : 0 };
    this.run(sub, 'matmul_backward_weight', uniforms, { dout: a.dout, inp: a.inp, dweight: a.dweight, dbias: a.dbias ?? this.placeholder }, this.matmulGroups(a.OC, a.C + 1, 4));
  }

  /** qkv [B][T][3C] → out [B][T][C] and att [B][NH][T][T]; one invocation per (sequence, head, query position). */
  attention_forward(sub: Submission, a: { B: number; T: number; NH: number; C: number; inp: Binding; out: Binding; att: Binding }): void {
    this.checkHead(a.T, a.NH, a.C);
    const { B, T, NH, C, ...buffers } = a;
    this.run(sub, 'attention_forward', { batch: B, seq_len: T, heads: NH, channels: C, scale: 1 / Math.sqrt(C / NH) }, buffers, this.elementwise(B * NH * T));
  }

  /** dinp (qkv) += the gradient of attention_forward. */
  attention_backward(sub: Submission, a: { B: number; T: number; NH: number; C: number; inp: Binding; att: Binding; dout: Binding; dinp: Binding }): void {
    this.checkHead(a.T, a.NH, a.C);
    const { B, T, NH, C, ...buffers } = a;
    this.run(sub, 'attention_backward', { batch: B, seq_len: T, heads: NH, channels: C, scale: 1 / Math.sqrt(C / NH) }, buffers, B * NH);
  }

  gelu_forward(sub: Submission, a: { count: number; inp: Binding; out: Binding }): void {
    const { count, ...buffers } = a;
    this.run(sub, 'gelu_forward', { count }, buffers, this.elementwise(count));
  }

  gelu_backward(sub: Submission, a: { count: number; inp: Binding; dout: Binding; dinp: Binding }): void {
    const { count, ...buffers } = a;
    this.run(sub, 'gelu_backward', { count }, buffers, this.elementwise(count));
  }

  /** probs = softmax(logits / temperature), log_z per row. */
  logsoftmax_forward(sub: Submission, a: { rows: number; vocab: number; temperature: number; logits: Binding; probs: Binding; logZ: Binding }): void {
    this.run(sub, 'logsoftmax_forward', { rows: a.rows, vocab: a.vocab, temperature: a.temperature }, { logits: a.logits, probs: a.probs, log_z: a.logZ }, this.elementwise(a.rows));
  }

  /** dlogits += (u/T)(onehot(target) − π) per row with target ≥ 0 and u ≠ 0. */
  logsoftmax_backward(sub: Submission, a: { rows: number; vocab: number; temperature: number; dlogprob: Binding; targets: Binding; probs: Binding; dlogits: Binding }): void {
    const { rows, vocab, temperature, ...buffers } = a;
    this.run(sub, 'logsoftmax_backward', { rows, vocab, temperature }, buffers, this.elementwise(rows * vocab));
  }

  /** Rotary positions on qkv [rows][3C]; cos and sin are ropeTables' [T][hs/2] as f32. */
  rope_forward(sub: Submission, a: { rows: number; T: number; C: number; headSize: number; inp: Binding; cos: Binding; sin: Binding; out: Binding }): void {
    this.run(sub, 'rope_forward', { rows: a.rows, seq_len: a.T, channels: a.C, head_size: a.headSize }, { inp: a.inp, cos_t: a.cos, sin_t: a.sin, out: a.out }, this.elementwise(a.rows * 3 * a.C));
  }

  rope_backward(sub: Submission, a: { rows: number; T: number; C: number; headSize: number; dout: Binding; cos: Binding; sin: Binding; dinp: Binding }): void {
    this.run(sub, 'rope_backward', { rows: a.rows, seq_len: a.T, channels: a.C, head_size: a.headSize }, { dout: a.dout, cos_t: a.cos, sin_t: a.sin, dinp: a.dinp }, this.elementwise(a.rows * 3 * a.C));
  }
}

/** The attention kernels' workgroup size (for documentation and checks). */
export const ATTENTION_WORKGROUP = ATT_WG;
