/**
 * Whole runs of the transformer on WebGPU (small shape: 1 layer, d_model 16,
 * small batches: on SwiftShader a step costs its dispatches, whatever the
 * batch, and every backend compiles its pipelines, so the file stays ~20 s):
 * - 50 steps of RFT (partial-credit grader, KL and entropy bonus) and of SFT
 *   against the CPU engine: mean loss and reward within 1 %;
 * - two GPU runs give bit-identical parameters (hash of readState), and a
 *   device lost mid-run continues on a new device with exactly the
 *   uninterrupted results (the resilient backend's journal replay), in one
 *   test: the uninterrupted run is the first of the two.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { makeLane } from '../../src/engine/setup.ts';
import type { ResilientBackend } from '../../src/gpu/resilient.ts';
import { selectBackend } from '../../src/gpu/select.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { gpu, setup } from './helpers.ts';

const POLICY = { kind: 'transformer', init: 'random', layers: 1, d_model: 16, heads: 2 };
const FUZZY = { type: 'text_similarity', evaluation_metric: 'fuzzy_match', input: '{{sample.output_text}}', reference: '{{item.reference}}' };
const RFT = { task: 'reverse', objective: 'rft', seed: 3, batch_prompts: 2, num_generations: 4, grader: FUZZY, policy: POLICY, optimizer: { learning_rate: 3e-3 }, rft: { beta: 0.05, entropy_coef: 0.01 } };
const SFT = { task: 'reverse', objective: 'sft', seed: 3, batch_prompts: 4, num_generations: 4, policy: POLICY, optimizer: { learning_rate: 3e-3 } };

const live: Backend[] = [];
afterEach(() => {
  live.splice(0).forEach((b) => b.dispose());
});

async function run(input: Record<string, unknown>, backend: Backend, steps: number, during?: (step: number) => void): Promise<StepMetrics[]> {
  live.push(backend);
  const s = setup(input);
  const lane = makeLane(s.config, { task: s.task, state: s.state, backend });
  const out: StepMetrics[] = [];
  for (let step = 1; step <= steps; step++) {
    const pending = lane.step();
    during?.(step);
    const o = await pending;
    if (!o.ok) throw new Error(o.message);
    out.push(o.metrics);
  }
  return out;
}

const mean = (ms: StepMetrics[], key: 'loss' | 'reward') => ms.reduce((s, m) => s + m[key], 0) / ms.length;

async function hash(backend: Backend): Promise<string> {
  const state = await backend.readState();
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for (const a of [state.logits, state.ref, state.adamM, state.adamV]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

describe.skipIf(!gpu)('transformer on WebGPU: whole runs', () => {
  it.each([
    ['RFT', RFT],
    ['SFT', SFT],
  ])('%s, 50 steps: loss and reward within 1 %% of the CPU engine', async (_name, input) => {
    const cpu = await run(input, new CpuBackend(setup(input).state), 50);
    const webgpu = await run(input, await WebGpuBackend.create(gpu!, setup(input).state), 50);
    for (const key of ['loss', 'reward'] as const) {
      const a = mean(webgpu, key);
      const b = mean(cpu, key);
      console.log(`${_name} mean ${key}: webgpu ${a}, cpu ${b}`);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(0.01 * Math.abs(b) + 1e-9);
    }
    const first = cpu[0];
    const last = cpu[49];
    if (_name === 'SFT') expect(last.loss).toBeLessThan(first.loss);
  }, 120_000);

  it('two GPU runs give identical parameters; a device lost mid-run continues on a new device with exactly the uninterrupted results', async () => {
    const steps = 8;
    const first = await WebGpuBackend.create(gpu!, setup(RFT).state);
    const reference = await run(RFT, first, steps);
    const second = await WebGpuBackend.create(gpu!, setup(RFT).state);
    expect(await run(RFT, second, steps)).toEqual(reference);
    expect(await hash(second)).toBe(await hash(first));
    const notices: string[] = [];
    const { backend } = await selectBackend('webgpu', setup(RFT).state, gpu, undefined, { syncEvery: 4, onNotice: (m) => notices.push(m) });
    const device = () => ((backend as ResilientBackend).current as WebGpuBackend).gpuDevice;
    // Lost after a journal sync (every 4 steps) and between two: the new device replays from the synced state.
    const metrics = await run(RFT, backend, steps, (step) => {
      if (step === 6) device().destroy();
    });
    expect(notices).toHaveLength(1);
    expect(backend.kind).toBe('webgpu');
    expect(metrics).toEqual(reference);
    expect(await hash(backend)).toBe(await hash(first));
  }, 120_000);
});
