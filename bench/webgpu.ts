/**
 * WebGPU backend vs the CPU engine, measured in the same process: RFT steps on
 * a synthetic task (max_len 8, vocabulary 32, exact-match grader) at 256,
 * 4,096 and 65,536 candidates per step.
 *
 * - steps/s and candidates/s come from the pipelined loop a lane would run:
 *   update(k) and sample(k + 1) are queued in the same turn, so each step is one
 *   submit and one blocking readback (counted, not assumed).
 * - ms per phase comes from a separate profiled loop that waits after every
 *   submit (FlushProfile): sample = GPU time of the sampling submit, readback =
 *   mapping and copying its tokens, grade = decoding + exact match in JS,
 *   upload = host time to pack and write the update's inputs and encode it,
 *   update = GPU time of the update submit and its statistics readback.
 *   For the CPU engine, sample and update are the engine's own calls.
 *
 * `export async function run()` is called by bench/bench.ts; `tsx bench/webgpu.ts` runs it alone.
 */
import type { Backend, TokenBatch } from '../src/engine/backend.ts';
import { loadConfig, type Config } from '../src/engine/config.ts';
import { CpuBackend } from '../src/engine/cpu-backend.ts';
import { Stream } from '../src/engine/prng.ts';
import { initialState } from '../src/engine/setup.ts';
import { type Task, Vocabulary } from '../src/engine/task.ts';
import { createGrader, type Grader } from '../src/graders/index.ts';
import { probeNodeGpu } from '../src/gpu/node-gpu.ts';
import { syntheticTask } from '../src/gpu/synthetic-task.ts';
import { WebGpuBackend } from '../src/gpu/webgpu-backend.ts';

const SIZES = [256, 4096, 65536];
const PROMPTS = 64;
const GENERATIONS = 64;
const WARMUP_STEPS = 3;

interface Phases {
  sample: number;
  readback: number;
  grade: number;
  upload: number;
  update: number;
}

interface Row {
  candidates: number;
  backend: string;
  stepsPerSecond: number;
  phases: Phases;
  submitsPerStep: number | null;
  readbacksPerStep: number | null;
}

class Harness {
  readonly vocab: Vocabulary;
  readonly grader: Grader;
  constructor(
    readonly task: Task,
    readonly config: Config,
  ) {
    this.vocab = new Vocabulary(task.alphabet);
    this.grader = createGrader(task.grader);
  }

  prompts(step: number): Int32Array {
    const B = this.config.batch_prompts;
    const G = this.config.num_generations;
    const out = new Int32Array(B * G);
    for (let b = 0; b < B; b++) out.fill(((step - 1) * B + b) % this.task.items.length, b * G, b * G + G);
    return out;
  }

  sample(backend: Backend, step: number): Promise<TokenBatch> {
    return backend.sample(step, Stream.train, this.prompts(step), this.config.temperature, this.config.seed);
  }

  /** What a lane does between sample and update: decode every answer and grade it. */
  async grade(batch: TokenBatch): Promise<Float32Array> {
    const L = this.task.maxLen;
    const samples = Array.from({ length: batch.count }, (_, i) => ({ output_text: this.vocab.decode(batch.tokens, i * L, batch.lengths[i]) }));
    const items = Array.from(batch.promptOf, (p) => this.task.items[p]);
    return Float32Array.from((await this.grader.grade(samples, items)).scores);
  }
}

function stepsFor(candidates: number): number {
  return candidates >= 65536 ? 4 : candidates >= 4096 ? 12 : 40;
}

async function measureCpu(h: Harness, candidates: number): Promise<Row> {
  const cpu = new CpuBackend(initialState(h.config, h.task));
  const steps = stepsFor(candidates);
  const phases: Phases = { sample: 0, readback: 0, grade: 0, upload: 0, update: 0 };
  let total = 0;
  for (let step = 1; step <= steps + WARMUP_STEPS; step++) {
    const t0 = performance.now();
    const batch = cpu.sampleSync(step, Stream.train, h.prompts(step), h.config.temperature, h.config.seed);
    const t1 = performance.now();
    const rewards = await h.grade(batch);
    const t2 = performance.now();
    cpu.updateSync(step, { objective: 'rft', samples: batch, rewards }, h.config);
    const t3 = performance.now();
    if (step <= WARMUP_STEPS) continue; // warm-up (JIT)
    phases.sample += t1 - t0;
    phases.grade += t2 - t1;
    phases.update += t3 - t2;
    total += t3 - t0;
  }
  for (const k of Object.keys(phases) as (keyof Phases)[]) phases[k] /= steps;
  return { candidates, backend: 'cpu', stepsPerSecond: (1000 * steps) / total, phases, submitsPerStep: null, readbacksPerStep: null };
}

async function measureGpu(h: Harness, gpu: GPU, candidates: number): Promise<Row> {
  const backend = await WebGpuBackend.create(gpu, initialState(h.config, h.task));
  try {
    const steps = stepsFor(candidates);
    // Pipelined throughput: update(k) and sample(k + 1) share one submit and one readback.
    let batch = await h.sample(backend, 1);
    let step = 1;
    const runPipelined = async (count: number) => {
      for (let i = 0; i < count; i++, step++) {
        const rewards = await h.grade(batch);
        const stats = backend.update(step, { objective: 'rft', samples: batch, rewards }, h.config);
        const next = h.sample(backend, step + 1);
        const [nextBatch, s] = await Promise.all([next, stats]);
        if (!s.finite) throw new Error(`benchmark run diverged at step ${step}`);
        batch = nextBatch;
      }
    };
    // Warm-up: SwiftShader's first runs of a pipeline are several times slower than later ones.
    await runPipelined(WARMUP_STEPS);
    const before = { ...backend.counters };
    const t0 = performance.now();
    await runPipelined(steps);
    const seconds = (performance.now() - t0) / 1000;
    const submitsPerStep = (backend.counters.submits - before.submits) / steps;
    const readbacksPerStep = (backend.counters.readbacks - before.readbacks) / steps;

    // Phase breakdown: each call awaited, each submit timed.
    backend.profiling = true;
    const phases: Phases = { sample: 0, readback: 0, grade: 0, upload: 0, update: 0 };
    const profiled = Math.min(steps, 4);
    for (let i = 0; i < profiled; i++, step++) {
      backend.profile.length = 0;
      const sampled = await h.sample(backend, step);
      const t0g = performance.now();
      const rewards = await h.grade(sampled);
      const t1g = performance.now();
      const pending = backend.update(step, { objective: 'rft', samples: sampled, rewards }, h.config);
      const hostPrep = performance.now() - t1g;
      await pending;
      const [s, u] = backend.profile;
      phases.sample += s.encodeMs + s.gpuMs;
      phases.readback += s.readbackMs;
      phases.grade += t1g - t0g;
      phases.upload += hostPrep + u.encodeMs;
      phases.update += u.gpuMs + u.readbackMs;
    }
    for (const k of Object.keys(phases) as (keyof Phases)[]) phases[k] /= profiled;
    return { candidates, backend: backend.label, stepsPerSecond: steps / seconds, phases, submitsPerStep, readbacksPerStep };
  } finally {
    backend.dispose();
  }
}

function configFor(candidates: number): Config {
  return loadConfig({
    task: 'reverse', // replaced by the synthetic task object below; only the knobs matter
    seed: 1,
    batch_prompts: candidates / GENERATIONS,
    num_generations: GENERATIONS,
    policy: { kind: 'tabular', init_scale: 1 },
    rft: { loss_type: 'dapo' },
  });
}

function formatTable(rows: Row[], ratios: Map<number, number>): string {
  const header = ['candidates', 'backend', 'steps/s', 'candidates/s', 'sample ms', 'readback ms', 'grade ms', 'upload ms', 'update ms', 'submits/step', 'readbacks/step', 'GPU/CPU'];
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = rows.map((r) => [
    r.candidates.toLocaleString('en-US'),
    r.backend,
    fmt(r.stepsPerSecond),
    Math.round(r.stepsPerSecond * r.candidates).toLocaleString('en-US'),
    fmt(r.phases.sample),
    r.backend === 'cpu' ? '-' : fmt(r.phases.readback),
    fmt(r.phases.grade),
    r.backend === 'cpu' ? '-' : fmt(r.phases.upload),
    fmt(r.phases.update),
    r.submitsPerStep === null ? '-' : String(r.submitsPerStep),
    r.readbacksPerStep === null ? '-' : String(r.readbacksPerStep),
    r.backend === 'cpu' ? '' : `${ratios.get(r.candidates)!.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

export async function run(): Promise<void> {
  const { gpu, reason } = await probeNodeGpu();
  const task = syntheticTask(PROMPTS);
  const rows: Row[] = [];
  const ratios = new Map<number, number>();
  console.log(`WebGPU benchmark: RFT on a synthetic task (max_len ${task.maxLen}, vocabulary ${task.alphabet.length + 1}, ${PROMPTS} prompts, ${GENERATIONS} generations per prompt, tabular policy, exact match)`);
  if (!gpu) console.log(`WebGPU not measured: ${reason}`);
  else if (reason) console.log(reason);
  for (const candidates of SIZES) {
    const h = new Harness(task, configFor(candidates));
    const cpu = await measureCpu(h, candidates);
    rows.push(cpu);
    if (gpu) {
      const g = await measureGpu(h, gpu, candidates);
      rows.push(g);
      ratios.set(candidates, g.stepsPerSecond / cpu.stepsPerSecond);
    }
  }
  console.log(formatTable(rows, ratios));
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (invokedDirectly) await run();
