/**
 * Whole runs: a Lane on the CPU engine and a Lane on the WebGPU backend, same
 * config and seed, 50 steps. Every metric of every step agrees within 1e-4
 * (sampled tokens are identical, so the runs do not drift apart).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { makeLane } from '../../src/engine/setup.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { expectClose, gpu, setup } from './helpers.ts';

const STEPS = 50;

const runs: { name: string; config: Record<string, unknown> }[] = [
  { name: 'rft reverse, tabular (defaults)', config: { task: 'reverse' } },
  { name: 'rft reverse, autoregressive, grpo loss, beta, entropy', config: { task: 'reverse', policy: { kind: 'autoregressive' }, rft: { loss_type: 'grpo', beta: 0.05, entropy_coef: 0.01 } } },
  { name: 'rft add, rloo, 2 iterations', config: { task: 'add', rft: { advantage: 'rloo', num_iterations: 2 } } },
  { name: 'rft add, reinforce, sgd', config: { task: 'add', rft: { advantage: 'reinforce' }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'dpo reverse offline, base init', config: { task: 'reverse', objective: 'dpo', policy: { init: 'base' } } },
  { name: 'dpo add online, ipo', config: { task: 'add', objective: 'dpo', dpo: { pairs: 'online', loss_type: 'ipo' } } },
  { name: 'sft reverse, autoregressive, noisy demos', config: { task: 'reverse', objective: 'sft', policy: { kind: 'autoregressive' }, demo_error_rate: 0.2 } },
];

async function runLane(config: Record<string, unknown>, backend?: WebGpuBackend): Promise<StepMetrics[]> {
  const s = setup(config);
  const lane = makeLane(s.config, { task: s.task, state: s.state, backend });
  const out: StepMetrics[] = [];
  for (let i = 0; i < STEPS; i++) {
    const outcome = await lane.step();
    if (!outcome.ok) throw new Error(outcome.message);
    out.push(outcome.metrics);
  }
  return out;
}

describe.skipIf(!gpu)('whole runs, CPU vs WebGPU lanes', () => {
  let backend: WebGpuBackend | null = null;
  afterEach(() => {
    backend?.dispose();
    backend = null;
  });

  for (const run of runs) {
    it(run.name, async () => {
      const cpuMetrics = await runLane(run.config);
      backend = await WebGpuBackend.create(gpu!, setup(run.config).state);
      const gpuMetrics = await runLane(run.config, backend);
      for (let i = 0; i < STEPS; i++) {
        expect(Object.keys(gpuMetrics[i]).sort()).toEqual(Object.keys(cpuMetrics[i]).sort());
        for (const [key, value] of Object.entries(cpuMetrics[i])) expectClose(gpuMetrics[i][key], value, 1e-4, 1e-4, `step ${i + 1} ${key}`);
      }
    });
  }
});
