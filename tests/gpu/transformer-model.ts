/**
 * Shared by the transformer GPU tests and the benchmark: a transformer policy
 * shape from a config, its GpuPolicyModel on a runtime of its own (the
 * kernels compiled as a lane's backend compiles them), and the CPU adapter
 * bound to the same parameters.
 */
import type { TokenBatch } from '../../src/engine/backend.ts';
import { type ConfigInput, loadConfig } from '../../src/engine/config.ts';
import { policyModel } from '../../src/engine/policies/index.ts';
import type { CpuPolicyModel, PolicyShape } from '../../src/engine/policies/types.ts';
import { initialState, resolveTask } from '../../src/engine/setup.ts';
import { drawNormal } from '../../src/engine/prng.ts';
import { kernelHeader } from '../../src/gpu/kernels.ts';
import { gpuPolicyModel } from '../../src/gpu/policies/index.ts';
import { GpuRuntime } from '../../src/gpu/runtime.ts';
import { loadShaderSources } from '../../src/gpu/shaders.ts';
import { TransformerGpuModel } from '../../src/gpu/transformer/policy.ts';
import { storageBuffer } from '../../src/gpu/transformer/submit.ts';

export function transformerShape(policy: Record<string, unknown>, over: ConfigInput = {}): { shape: PolicyShape; params: Float32Array } {
  const config = loadConfig({ backend: 'cpu', task: 'reverse', seed: 5, ...over, policy: { kind: 'transformer', init: 'random', ...policy } });
  const state = initialState(config, resolveTask(config));
  return { shape: state.shape, params: state.logits };
}

/** Parameters moved off the near-uniform initialisation, so the logits (and their gradients) are far from trivial. */
export function perturbed(params: Float32Array, scale: number, salt: number): Float32Array {
  return Float32Array.from(params, (x, i) => x + scale * drawNormal(salt, 7, 0, i, 0));
}

export interface GpuModelRig {
  runtime: GpuRuntime;
  model: TransformerGpuModel;
  params: GPUBuffer;
  ref: GPUBuffer;
  grad: GPUBuffer;
  destroy(): void;
}

export async function gpuModel(gpu: GPU, shape: PolicyShape, params: Float32Array, ref: Float32Array): Promise<GpuModelRig> {
  const runtime = await GpuRuntime.create(gpu);
  runtime.acquire();
  const kind = gpuPolicyModel('transformer');
  const wg = runtime.gd.workgroupSize;
  const [kernels] = await runtime.kernels(
    [{ files: kind.kernels, header: kernelHeader({ workgroupSize: wg, vocab: shape.vocab, maxLen: shape.maxLen, prompts: shape.prompts }, kind.header(shape)), libraries: kind.libraries }],
    await loadShaderSources(),
  );
  const device = runtime.device;
  const buffers: GPUBuffer[] = [];
  const make = (label: string, bytes: number) => {
    const b = device.createBuffer({ label, size: Math.ceil(Math.max(bytes, 16) / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    buffers.push(b);
    return b;
  };
  const p = storageBuffer(device, 'params', params);
  const r = storageBuffer(device, 'ref', ref);
  const g = make('grad', params.length * 4);
  buffers.push(p, r);
  const model = kind.create({ device, createBuffer: make, groups: (n) => Math.ceil(n / wg), params: p, ref: r, grad: g }, shape, kernels) as TransformerGpuModel;
  return {
    runtime,
    model,
    params: p,
    ref: r,
    grad: g,
    destroy() {
      model.destroy();
      for (const b of buffers) b.destroy();
      runtime.release();
    },
  };
}

export function cpuModel(shape: PolicyShape, params: Float32Array, ref: Float32Array): CpuPolicyModel {
  const m = policyModel('transformer').cpu(shape);
  m.bind(params, ref);
  return m;
}

/** prompt of each answer | length | tokens, as u32 (the seam's batch layout). */
export function packBatch(b: TokenBatch, L: number): Uint32Array {
  const N = b.count;
  const out = new Uint32Array(2 * N + N * L);
  out.set(b.promptOf.subarray(0, N), 0);
  out.set(b.lengths.subarray(0, N), N);
  out.set(b.tokens.subarray(0, N * L), 2 * N);
  return out;
}

/** Answers of every length 1..L, random tokens (EOS only last), cycling over the prompts. */
export function randomAnswers(shape: PolicyShape, count: number, salt: number): TokenBatch {
  const L = shape.maxLen;
  const V = shape.vocab;
  const b: TokenBatch = { count, promptOf: new Int32Array(count), lengths: new Int32Array(count), tokens: new Int32Array(count * L) };
  let h = salt >>> 0;
  const next = () => {
    h = (Math.imul(h ^ (h >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return h;
  };
  for (let n = 0; n < count; n++) {
    b.promptOf[n] = (n * 7 + salt) % shape.prompts;
    const len = 1 + (next() % L);
    b.lengths[n] = len;
    for (let t = 0; t < len; t++) b.tokens[n * L + t] = t === len - 1 && len < L ? 0 : 1 + (next() % (V - 1));
  }
  return b;
}
