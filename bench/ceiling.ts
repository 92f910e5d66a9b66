/**
 * How fast WebGPU could be on this adapter at best, against the CPU engine:
 * the bound behind the WebGPU-vs-CPU numbers of bench/transformer.ts.
 *
 * - the adapter's arithmetic ceiling: shaders/bench/fma_ceiling.wgsl runs the
 *   direct matmul's inner loop (16 multiply-adds per step of k) with no
 *   storage load at all, so no kernel of ours can run faster;
 * - matmul throughput at the default step's largest shape (all rows of a
 *   16 × 16 RFT batch, d_model 32 → d_mlp 128): our matmul_forward kernel,
 *   and the CPU engine's matmul_forward (src/models/transformer/ops.ts);
 * - the matmul work of one RFT step on WebGPU (rows × in × out of every
 *   matmul dispatch, counted), which any backend computing the same step must
 *   do at least once.
 *
 * A WebGPU step takes at least (matmul FLOPs) / ceiling, so WebGPU/CPU is at
 * most (CPU step time) × ceiling / (matmul FLOPs): printed as the bound.
 */
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../src/engine/config.ts';
import { initialState, makeLane, resolveTask } from '../src/engine/setup.ts';
import { matmul_forward } from '../src/models/transformer/ops.ts';
import { GpuRuntime } from '../src/gpu/runtime.ts';
import { loadShaderSources } from '../src/gpu/shaders.ts';
import { Submission } from '../src/gpu/submission.ts';
import { TransformerKernels } from '../src/gpu/transformer/kernels.ts';
import { POLICY_MATMUL } from '../src/gpu/transformer/policy.ts';
import { storageBuffer, submitOnce } from '../src/gpu/transformer/submit.ts';
import { WebGpuBackend } from '../src/gpu/webgpu-backend.ts';
import { benchConfig, type Size } from './transformer.ts';

export interface Ceiling {
  /** Load-free multiply-adds on the adapter, GFLOP/s. */
  adapterPeak: number;
  /** Our matmul_forward kernel at the shape, GFLOP/s. */
  gpuMatmul: number;
  /** The CPU engine's matmul_forward at the shape, GFLOP/s. */
  cpuMatmul: number;
  /** Matmul FLOPs (2 × multiply-adds) of one RFT step at the size. */
  stepMatmulFlops: number;
}

const GFLOP = 1e9;

/** The fc matmul of the default RFT step: 256 sequences × 11 positions, 32 → 128. */
const SHAPE = { rows: 256 * 11, C: 32, OC: 128 };

async function timeGpu(device: GPUDevice, encode: () => GPUCommandBuffer, reps: number): Promise<number> {
  device.queue.submit([encode()]);
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) device.queue.submit([encode()]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / 1000 / reps;
}

async function adapterPeak(device: GPUDevice): Promise<number> {
  const code = await readFile(new URL('../shaders/bench/fma_ceiling.wgsl', import.meta.url), 'utf8');
  const module = device.createShaderModule({ label: 'fma_ceiling', code });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const invocations = Math.ceil(SHAPE.rows / 4) * Math.ceil(SHAPE.OC / 4);
  const steps = 256;
  const uniforms = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniforms, 0, new Uint32Array([invocations, steps, 0, 0]));
  const out = device.createBuffer({ size: invocations * 4, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: uniforms } }, { binding: 1, resource: { buffer: out } }] });
  const seconds = await timeGpu(
    device,
    () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(Math.ceil(invocations / 64));
      pass.end();
      return encoder.finish();
    },
    10,
  );
  uniforms.destroy();
  out.destroy();
  return (2 * 16 * steps * invocations) / seconds / GFLOP;
}

async function gpuMatmul(runtime: GpuRuntime): Promise<number> {
  const { rows, C, OC } = SHAPE;
  const ops = await TransformerKernels.create(runtime, await loadShaderSources(), { context: 11, headSize: 8, vocab: 8, matmul: POLICY_MATMUL });
  const device = runtime.device;
  const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const inp = storageBuffer(device, 'inp', random(rows * C));
  const weight = storageBuffer(device, 'weight', random(OC * C));
  const out = storageBuffer(device, 'out', rows * OC);
  const reps = 10;
  const sub = new Submission();
  for (let i = 0; i < reps; i++) ops.matmul_forward(sub, { rows, C, OC, inp, weight, bias: null, out });
  await submitOnce(device, sub); // warm-up
  const again = new Submission();
  for (let i = 0; i < reps; i++) ops.matmul_forward(again, { rows, C, OC, inp, weight, bias: null, out });
  const t0 = performance.now();
  await submitOnce(device, again);
  const seconds = (performance.now() - t0) / 1000 / reps;
  for (const b of [inp, weight, out]) b.destroy();
  ops.destroy();
  return (2 * rows * C * OC) / seconds / GFLOP;
}

function cpuMatmul(): number {
  const { rows, C, OC } = SHAPE;
  const inp = Float32Array.from({ length: rows * C }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const weight = Float32Array.from({ length: OC * C }, (_, i) => Math.cos(i * 78.233) * 0.5);
  const out = new Float32Array(rows * OC);
  const span = { B: 1, T: rows, lo: Int32Array.of(0), hi: Int32Array.of(rows) };
  for (let i = 0; i < 10; i++) matmul_forward(out, inp, weight, null, span, C, OC);
  const reps = 40;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) matmul_forward(out, inp, weight, null, span, C, OC);
  return (2 * rows * C * OC) / ((performance.now() - t0) / 1000 / reps) / GFLOP;
}

/** Multiply-adds of every matmul dispatch of one RFT lane step on WebGPU (sampling and update). */
async function stepMatmulFlops(gpu: GPU, size: Size): Promise<number> {
  const config = loadConfig(benchConfig('rft', size));
  const task = resolveTask(config);
  const state = initialState(config, task);
  const backend = await WebGpuBackend.create(gpu, state);
  const lane = makeLane(config, { task, state, backend });
  const proto = TransformerKernels.prototype;
  const originals = { f: proto.matmul_forward, i: proto.matmul_backward_input, w: proto.matmul_backward_weight };
  let macs = 0;
  const count = (a: { rows: number; C: number; OC: number }) => (macs += a.rows * a.C * a.OC);
  try {
    await lane.step();
    await lane.step();
    proto.matmul_forward = function (this: TransformerKernels, sub, a) { count(a); return originals.f.call(this, sub, a); };
    proto.matmul_backward_input = function (this: TransformerKernels, sub, a) { count(a); return originals.i.call(this, sub, a); };
    proto.matmul_backward_weight = function (this: TransformerKernels, sub, a) { count(a); return originals.w.call(this, sub, a); };
    const steps = 2;
    for (let s = 0; s < steps; s++) {
      const o = await lane.step();
      if (!o.ok) throw new Error(o.message);
    }
    return (2 * macs) / steps;
  } finally {
    Object.assign(proto, { matmul_forward: originals.f, matmul_backward_input: originals.i, matmul_backward_weight: originals.w });
    backend.dispose();
  }
}

export async function measureCeiling(gpu: GPU, size: Size): Promise<Ceiling> {
  const runtime = await GpuRuntime.create(gpu);
  try {
    return { adapterPeak: await adapterPeak(runtime.device), gpuMatmul: await gpuMatmul(runtime), cpuMatmul: cpuMatmul(), stepMatmulFlops: await stepMatmulFlops(gpu, size) };
  } finally {
    runtime.device.destroy();
  }
}

/** The bound on WebGPU/CPU steps per second: the CPU's step time over the shortest a WebGPU step at the ceiling could take. */
export function speedupBound(c: Ceiling, cpuStepsPerSecond: number): number {
  const fastestGpuStep = c.stepMatmulFlops / (c.adapterPeak * GFLOP);
  return 1 / cpuStepsPerSecond / fastestGpuStep;
}
