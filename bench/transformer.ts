/**
 * The transformer policy (policy.kind "transformer") on the CPU engine, our
 * WebGPU backend, and the same model and step written in tfjs
 * (@tensorflow/tfjs-core + tfjs-backend-webgpu, autograd + Adam) on the same
 * adapter, in one process. Task "reverse" (context 11, max_len 6, 5 answer
 * tokens), policy.init "random" (no pretraining in the benchmark).
 *
 * - steps/s and tokens/s (answer tokens sampled + trained per second) from
 *   Lane.step(), as a run makes them (the WebGPU lane pipelines update(k)
 *   with sample(k + 1): one submit and one blocking readback per step);
 * - ms per phase from a separate awaited RFT loop: sample (GPU time of the
 *   sampling submit), readback (map + copy of its tokens), grade (decode and
 *   exact match in JS), update (forward + backward + optimizer: one submit, so
 *   not separable without extra submits; on the CPU, the engine's call);
 * - dispatches, submits and blocking readbacks per step (counted), and the
 *   bytes of GPU buffers alive at the end (every buffer the lane's device made).
 *
 * Sizes: the default (2 layers × d_model 32 × 4 heads) for RFT (16 prompts ×
 * 16 generations), SFT and DPO (batch 64); then RFT at 1 and 4 layers and
 * d_model 64 and 128. On a machine without a GPU the adapter is SwiftShader
 * (a CPU rasteriser): its numbers say nothing about a real GPU.
 *
 * Then tfjs-webgpu's steps/s and ours/tfjs (RFT and SFT at the default
 * size), and the sampled-token mismatch rate WebGPU vs CPU over ~1M draws
 * (BENCH_TF_DRAWS). BENCH_TF_STEPS sets the measured steps per row (3),
 * BENCH_TF_ONLY a filter ("rft 2L×d32×h4", "phases", "tfjs", "mismatch", "ceiling").
 * Last, the adapter's arithmetic ceiling and the bound it puts on
 * WebGPU/CPU (bench/ceiling.ts).
 * The whole section takes ~15 min on a loaded 2-core machine.
 *
 * `export async function run()` is called by bench/bench.ts; `tsx bench/transformer.ts` runs it alone.
 */
import type { Backend, TokenBatch } from '../src/engine/backend.ts';
import { type ConfigInput, loadConfig } from '../src/engine/config.ts';
import { CpuBackend } from '../src/engine/cpu-backend.ts';
import { Stream } from '../src/engine/prng.ts';
import { initialState, makeLane, resolveTask } from '../src/engine/setup.ts';
import { Vocabulary } from '../src/engine/task.ts';
import { createGrader } from '../src/graders/index.ts';
import { probeNodeGpu } from '../src/gpu/node-gpu.ts';
import { GpuRuntime } from '../src/gpu/runtime.ts';
import { Submission } from '../src/gpu/submission.ts';
import { WebGpuBackend } from '../src/gpu/webgpu-backend.ts';
import { measureCeiling, speedupBound } from './ceiling.ts';
import { runTfjs } from './transformer-tfjs.ts';

type Objective = 'rft' | 'sft' | 'dpo';

export interface Size {
  layers: number;
  d_model: number;
  heads: number;
}

export function benchConfig(objective: Objective, size: Size): ConfigInput {
  const batch = objective === 'rft' ? { batch_prompts: 16, num_generations: 16 } : { batch_prompts: 64, num_generations: 1 };
  return { task: 'reverse', objective, seed: 1, backend: 'cpu', eval_steps: 1_000_000, ...batch, policy: { kind: 'transformer', init: 'random', ...size } };
}

let dispatches = 0;
const originalDispatch = Submission.prototype.dispatch;
Submission.prototype.dispatch = function (this: Submission, ...args: Parameters<Submission['dispatch']>) {
  if (args[3] > 0) dispatches++;
  return originalDispatch.apply(this, args);
};

interface LaneRow {
  stepsPerSecond: number;
  tokensPerSecond: number;
  dispatchesPerStep: number | null;
  submitsPerStep: number | null;
  readbacksPerStep: number | null;
}

async function laneThroughput(objective: Objective, size: Size, backend: Backend, steps: number): Promise<LaneRow> {
  const config = loadConfig(benchConfig(objective, size));
  const task = resolveTask(config);
  const lane = makeLane(config, { task, state: initialState(config, task), backend });
  const gpu = backend instanceof WebGpuBackend ? backend : null;
  let tokens = 0;
  const once = async () => {
    const o = await lane.step();
    if (!o.ok) throw new Error(o.message);
  };
  await once(); // warm-up: JIT, first pipeline runs
  await once();
  const before = { d: dispatches, ...(gpu?.counters ?? { submits: 0, readbacks: 0 }) };
  const origSample = backend.sample.bind(backend);
  backend.sample = async (...args) => {
    const b = await origSample(...args);
    for (let n = 0; n < b.count; n++) tokens += b.lengths[n];
    return b;
  };
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await once();
  const seconds = (performance.now() - t0) / 1000;
  backend.sample = origSample;
  return {
    stepsPerSecond: steps / seconds,
    tokensPerSecond: tokens / seconds,
    dispatchesPerStep: gpu ? (dispatches - before.d) / steps : null,
    submitsPerStep: gpu ? (gpu.counters.submits - before.submits) / steps : null,
    readbacksPerStep: gpu ? (gpu.counters.readbacks - before.readbacks) / steps : null,
  };
}

interface Phases {
  sample: number;
  readback: number;
  grade: number;
  update: number;
}

/** The awaited RFT loop with each phase timed. */
async function rftPhases(size: Size, backend: Backend, steps: number): Promise<Phases> {
  const config = loadConfig(benchConfig('rft', size));
  const task = resolveTask(config);
  const vocab = new Vocabulary(task.alphabet);
  const grader = createGrader(task.grader);
  const L = task.maxLen;
  const B = config.batch_prompts;
  const G = config.num_generations;
  const prompts = (step: number) => {
    const out = new Int32Array(B * G);
    for (let b = 0; b < B; b++) out.fill(((step - 1) * B + b) % task.items.length, b * G, b * G + G);
    return out;
  };
  const grade = async (batch: TokenBatch) => {
    const samples = Array.from({ length: batch.count }, (_, i) => ({ output_text: vocab.decode(batch.tokens, i * L, batch.lengths[i]) }));
    return Float32Array.from((await grader.grade(samples, Array.from(batch.promptOf, (p) => task.items[p]))).scores);
  };
  const gpu = backend instanceof WebGpuBackend ? backend : null;
  if (gpu) gpu.profiling = true;
  const phases: Phases = { sample: 0, readback: 0, grade: 0, update: 0 };
  for (let step = 1; step <= steps + 1; step++) {
    if (gpu) gpu.profile.length = 0;
    const t0 = performance.now();
    const batch = await backend.sample(step, Stream.train, prompts(step), config.temperature, config.seed);
    const t1 = performance.now();
    const rewards = await grade(batch);
    const t2 = performance.now();
    const stats = await backend.update(step, { objective: 'rft', samples: batch, rewards }, config);
    const t3 = performance.now();
    if (!stats.finite) throw new Error('benchmark run diverged');
    if (step === 1) continue;
    phases.grade += t2 - t1;
    if (gpu) {
      const [s, u] = gpu.profile;
      phases.sample += s.encodeMs + s.gpuMs;
      phases.readback += s.readbackMs;
      phases.update += u ? u.encodeMs + u.gpuMs + u.readbackMs : t3 - t2;
    } else {
      phases.sample += t1 - t0;
      phases.update += t3 - t2;
    }
  }
  if (gpu) gpu.profiling = false;
  for (const k of Object.keys(phases) as (keyof Phases)[]) phases[k] /= steps;
  return phases;
}

/**
 * Sampled-token mismatches, WebGPU vs the CPU engine, over about `target`
 * draws: the same state, seed, step and prompts on both; per answer, its
 * draws are compared position by position up to the first that differs (after
 * which the contexts differ).
 */
async function mismatchRate(gpu: GPU, size: Size, target: number): Promise<{ draws: number; mismatches: number; answers: number; calls: number }> {
  const config = loadConfig(benchConfig('rft', size));
  const task = resolveTask(config);
  const state = initialState(config, task);
  const cpu = new CpuBackend(state);
  const backend = await WebGpuBackend.create(gpu, state);
  const N = 4096;
  const L = state.shape.maxLen;
  const promptOf = Int32Array.from({ length: N }, (_, n) => n % task.items.length);
  let draws = 0;
  let mismatches = 0;
  let calls = 0;
  try {
    for (let step = 1; draws < target; step++) {
      const [a, b] = [await backend.sample(step, Stream.train, promptOf, 1, config.seed), await cpu.sample(step, Stream.train, promptOf, 1, config.seed)];
      calls++;
      for (let n = 0; n < N; n++) {
        const len = Math.max(a.lengths[n], b.lengths[n]);
        for (let t = 0; t < len; t++) {
          draws++;
          if (a.tokens[n * L + t] !== b.tokens[n * L + t]) {
            mismatches++;
            break;
          }
        }
      }
    }
  } finally {
    backend.dispose();
    cpu.dispose();
  }
  return { draws, mismatches, answers: N * calls, calls };
}

/** A runtime whose device counts the bytes of the buffers alive. */
async function countingRuntime(gpu: GPU): Promise<{ runtime: GpuRuntime; bytes: () => number; peak: () => number }> {
  const runtime = await GpuRuntime.create(gpu);
  const device = runtime.device;
  let alive = 0;
  let peak = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const b = create(desc);
    alive += desc.size;
    peak = Math.max(peak, alive);
    const destroy = b.destroy.bind(b);
    let gone = false;
    b.destroy = () => {
      if (!gone) alive -= desc.size;
      gone = true;
      destroy();
    };
    return b;
  };
  return { runtime, bytes: () => alive, peak: () => peak };
}

const fmt = (x: number | null, digits = 1) => (x === null ? '—' : x.toFixed(digits));
const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export async function run(): Promise<void> {
  console.log('## Transformer policy: CPU engine vs WebGPU vs tfjs-webgpu (task reverse, init random)');
  const probe = await probeNodeGpu();
  const gpu = probe.gpu;
  const steps = Number(process.env.BENCH_TF_STEPS ?? 3);
  let adapter = 'no WebGPU';
  if (gpu) {
    const a = await gpu.requestAdapter();
    const info = a?.info;
    adapter = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`.trim();
  } else {
    console.log(`WebGPU skipped: ${probe.reason}`);
  }
  console.log(`adapter: ${adapter}; ${steps} measured steps per row after 2 warm-up steps`);
  const os = await import('node:os');
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (/swiftshader/i.test(adapter)) {
    console.log('Every webgpu and tfjs-webgpu number below is SwiftShader\'s: WebGPU in software on the same CPU cores as the CPU engine, not a GPU.');
  }
  const DEFAULT: Size = { layers: 2, d_model: 32, heads: 4 };
  const rows: string[] = [];
  const header = '| objective | size | backend | steps/s | tokens/s | dispatches/step | submits/step | readbacks/step | GPU memory (peak) |';
  rows.push(header, '|---|---|---|---|---|---|---|---|---|');
  const sizes: { objective: Objective; size: Size }[] = [
    { objective: 'rft', size: DEFAULT },
    { objective: 'sft', size: DEFAULT },
    { objective: 'dpo', size: DEFAULT },
    { objective: 'rft', size: { layers: 1, d_model: 32, heads: 4 } },
    { objective: 'rft', size: { layers: 4, d_model: 32, heads: 4 } },
    { objective: 'rft', size: { layers: 2, d_model: 64, heads: 4 } },
    { objective: 'rft', size: { layers: 2, d_model: 128, heads: 4 } },
  ];
  const only = process.env.BENCH_TF_ONLY;
  const results: Record<string, { cpu: number; webgpu?: number; tfjs?: number }> = {};
  const label = (s: Size) => `${s.layers}L×d${s.d_model}×h${s.heads}`;
  for (const { objective, size } of sizes) {
    const key = `${objective} ${label(size)}`;
    if (only && !key.includes(only)) continue;
    const config = loadConfig(benchConfig(objective, size));
    const state = initialState(config, resolveTask(config));
    const cpu = await laneThroughput(objective, size, new CpuBackend(state), steps);
    rows.push(`| ${objective} | ${label(size)} | cpu | ${fmt(cpu.stepsPerSecond, 2)} | ${fmt(cpu.tokensPerSecond, 0)} | — | — | — | — |`);
    results[key] = { cpu: cpu.stepsPerSecond };
    if (gpu) {
      const counting = await countingRuntime(gpu);
      const backend = await WebGpuBackend.create(gpu, state, { runtime: counting.runtime });
      try {
        const g = await laneThroughput(objective, size, backend, steps);
        rows.push(`| ${objective} | ${label(size)} | webgpu | ${fmt(g.stepsPerSecond, 2)} | ${fmt(g.tokensPerSecond, 0)} | ${fmt(g.dispatchesPerStep, 0)} | ${fmt(g.submitsPerStep)} | ${fmt(g.readbacksPerStep)} | ${MB(counting.peak())} |`);
        results[key].webgpu = g.stepsPerSecond;
      } finally {
        backend.dispose();
      }
    }
    console.log(rows[rows.length - 1]);
  }
  console.log();
  console.log(rows.join('\n'));

  if (!only || only.includes('phases')) {
    console.log();
    console.log('RFT phases at the default size, ms per step (awaited loop):');
    console.log('| backend | sample | readback | grade | update (fwd+bwd+optimizer) |');
    console.log('|---|---|---|---|---|');
    const config = loadConfig(benchConfig('rft', DEFAULT));
    const state = initialState(config, resolveTask(config));
    const cp = await rftPhases(DEFAULT, new CpuBackend(state), steps);
    console.log(`| cpu | ${fmt(cp.sample)} | — | ${fmt(cp.grade)} | ${fmt(cp.update)} |`);
    if (gpu) {
      const backend = await WebGpuBackend.create(gpu, state);
      try {
        const gp = await rftPhases(DEFAULT, backend, steps);
        console.log(`| webgpu | ${fmt(gp.sample)} | ${fmt(gp.readback)} | ${fmt(gp.grade)} | ${fmt(gp.update)} |`);
      } finally {
        backend.dispose();
      }
    }
  }

  if (gpu && (!only || only.includes('tfjs'))) {
    console.log();
    console.log('tfjs-webgpu (4.22.0) on the same adapter, the same model and step (autograd + Adam):');
    for (const objective of ['rft', 'sft'] as const) {
      try {
        const t = await runTfjs(gpu, objective, DEFAULT, steps);
        const key = `${objective} ${label(DEFAULT)}`;
        const ours = results[key]?.webgpu;
        console.log(`| ${objective} | ${label(DEFAULT)} | tfjs-webgpu | ${fmt(t.stepsPerSecond, 2)} steps/s | ours/tfjs ${ours ? fmt(ours / t.stepsPerSecond, 2) : '—'} | ${t.note} |`);
      } catch (e) {
        console.log(`tfjs ${objective}: ${(e as Error).message}`);
      }
    }
  }
  if (gpu && (!only || only.includes('mismatch'))) {
    const target = Number(process.env.BENCH_TF_DRAWS ?? 1_000_000);
    const m = await mismatchRate(gpu, DEFAULT, target);
    console.log();
    console.log(
      `Sampled tokens, WebGPU (${adapter}) vs the CPU engine at ${label(DEFAULT)} (init random, temperature 1, ${m.answers} answers of ${m.calls} sample calls): ` +
        `${m.mismatches} mismatches in ${m.draws} draws = ${(m.mismatches / m.draws).toExponential(2)} (an answer's draws are counted up to its first mismatch)`,
    );
  }

  if (gpu && (!only || only.includes('ceiling'))) {
    const c = await measureCeiling(gpu, DEFAULT);
    const cpuRate = results[`rft ${label(DEFAULT)}`]?.cpu;
    console.log();
    console.log(`Arithmetic ceiling of ${adapter} (shaders/bench/fma_ceiling.wgsl: the direct matmul's multiply-adds with no load), GFLOP/s:`);
    console.log('| load-free multiply-adds (WebGPU) | our matmul_forward (WebGPU) | the CPU engine\'s matmul_forward | matmul GFLOP per RFT step |');
    console.log('|---|---|---|---|');
    console.log(`| ${fmt(c.adapterPeak, 2)} | ${fmt(c.gpuMatmul, 2)} | ${fmt(c.cpuMatmul, 2)} | ${fmt(c.stepMatmulFlops / 1e9, 3)} |`);
    if (cpuRate) {
      console.log(
        `Bound: even with every kernel at the ceiling, a WebGPU RFT step at ${label(DEFAULT)} takes ≥ ${fmt((c.stepMatmulFlops / c.adapterPeak / 1e9) * 1000, 0)} ms for its matmuls alone, ` +
          `against the CPU engine's ${fmt(1000 / cpuRate, 0)} ms for the whole step: WebGPU/CPU ≤ ${fmt(speedupBound(c, cpuRate), 2)} on this adapter (the issue's target is 5).`,
      );
    }
  }

  const summary = Object.entries(results).map(([k, r]) => `${k}: webgpu/cpu ${r.webgpu ? fmt(r.webgpu / r.cpu, 2) : '—'}`);
  console.log();
  console.log(summary.join('; '));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
