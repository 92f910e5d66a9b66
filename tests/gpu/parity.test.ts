/**
 * One suite, two backends: the WebGPU backend against the CPU reference
 * engine, for every objective and variant and both policy kinds. Given the
 * same samples, the losses, metrics, gradients (the SGD step), updated logits
 * and Adam moments agree within 1e-5 relative; sampling from
 * the same state, seed and step gives identical tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairBatch, UpdateRequest, UpdateStats } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import type { PolicyState } from '../../src/engine/policy.ts';
import { rowIndex } from '../../src/engine/policies/table.ts';
import { Stream } from '../../src/engine/prng.ts';
import { WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { demoBatch, diff, expectArrayClose, expectClose, gpu, lanePrompts, pairBatch, setup, syntheticRewards } from './helpers.ts';

const RTOL = 1e-5;
/** For metrics that are analytically ~0 (e.g. a GRPO loss, whose advantages sum to zero per group). */
const ATOL = 1e-6;
const STEPS = 3;

interface Variant {
  name: string;
  config: Record<string, unknown>;
}

const rftVariants: Variant[] = [];
for (const advantage of ['grpo', 'rloo', 'reinforce'] as const) {
  for (const scale_rewards of advantage === 'grpo' ? (['group', 'batch', 'none'] as const) : (['group'] as const)) {
    for (const loss_type of ['grpo', 'dapo', 'dr_grpo'] as const) {
      rftVariants.push({ name: `${advantage}/${scale_rewards}/${loss_type}`, config: { rft: { advantage, scale_rewards, loss_type } } });
    }
  }
}
rftVariants.push(
  { name: 'clipping, 3 iterations, clip-higher', config: { rft: { num_iterations: 3, epsilon: 0.02, epsilon_high: 0.05 }, optimizer: { learning_rate: 0.5 } } },
  { name: 'KL penalty beta 0.2', config: { rft: { beta: 0.2 } } },
  { name: 'KL penalty beta 0.2, sgd', config: { rft: { beta: 0.2 }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'entropy bonus', config: { rft: { entropy_coef: 0.05 } } },
  { name: 'entropy bonus, sgd', config: { rft: { entropy_coef: 0.05 }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'rloo, dr_grpo, sgd', config: { rft: { advantage: 'rloo', loss_type: 'dr_grpo' }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'reinforce, sgd', config: { rft: { advantage: 'reinforce' }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'sgd, no clipping', config: { optimizer: { name: 'sgd', learning_rate: 2, max_grad_norm: null } } },
  { name: 'temperature 0.7, grad clip 0.01', config: { temperature: 0.7, optimizer: { max_grad_norm: 0.01 } } },
  { name: 'everything, sgd', config: { temperature: 1.3, rft: { num_iterations: 2, epsilon: 0.01, beta: 0.1, entropy_coef: 0.02, loss_type: 'grpo' }, optimizer: { name: 'sgd', learning_rate: 1 } } },
);

const dpoVariants: Variant[] = [
  ...(['sigmoid', 'cdpo', 'ipo', 'hinge', 'robust'] as const).map((loss_type) => ({ name: loss_type, config: { objective: 'dpo', dpo: { loss_type } } })),
  { name: 'cdpo, label smoothing 0.1, sgd', config: { objective: 'dpo', dpo: { loss_type: 'cdpo', label_smoothing: 0.1 }, optimizer: { name: 'sgd', learning_rate: 1 } } },
  { name: 'robust, label smoothing 0.2', config: { objective: 'dpo', dpo: { loss_type: 'robust', label_smoothing: 0.2 } } },
  ...(['ipo', 'hinge', 'robust'] as const).map((loss_type) => ({ name: `${loss_type}, sgd`, config: { objective: 'dpo', dpo: { loss_type }, optimizer: { name: 'sgd', learning_rate: 1 } } })),
  { name: 'no pairs this step (online, all tied)', config: { objective: 'dpo', dpo: { pairs: 'online' } } },
];

const sftVariants: Variant[] = [
  { name: 'adam', config: { objective: 'sft' } },
  { name: 'sgd', config: { objective: 'sft', optimizer: { name: 'sgd', learning_rate: 1 } } },
];

/**
 * `tiedPairs`: DPO pairs whose reward margin is zero in exact arithmetic (e.g.
 * the same tokens in another order on the same rows). rewards/accuracies counts
 * a strict win, so for those the float rounding of either engine decides, and
 * each may count either way.
 */
function compareStats(gpuStats: UpdateStats, cpuStats: UpdateStats, where: string, tiedPairs = 0, pairCount = 1): void {
  expect(Object.keys(gpuStats).sort(), `${where}: metric names`).toEqual(Object.keys(cpuStats).sort());
  for (const [key, value] of Object.entries(cpuStats)) {
    const actual = (gpuStats as unknown as Record<string, number>)[key];
    if (typeof value === 'boolean') expect(gpuStats.finite, `${where}: finite`).toBe(value);
    else if (key === 'rewards/accuracies') expectClose(actual, value, 0, tiedPairs / pairCount + 1e-12, `${where}: ${key} (${tiedPairs} tied pairs)`);
    else expectClose(actual, value, RTOL, ATOL, `${where}: ${key}`);
  }
}

/** Sequence log-prob in f64, straight from the logits (independent of both engines). */
function sequenceLogp(logits: Float32Array, state: PolicyState, prompt: number, tokens: Int32Array, offset: number, length: number): number {
  const V = state.shape.vocab;
  let sum = 0;
  let prev = 0;
  for (let t = 0; t < length; t++) {
    const row = rowIndex(state.shape, prompt, t, prev) * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[row + j]);
    let z = 0;
    for (let j = 0; j < V; j++) z += Math.exp(logits[row + j] - max);
    const token = tokens[offset + t];
    sum += logits[row + token] - max - Math.log(z);
    prev = token;
  }
  return sum;
}

function countTiedPairs(state: PolicyState, pairs: PairBatch): number {
  const L = state.shape.maxLen;
  let ties = 0;
  for (let k = 0; k < pairs.count; k++) {
    const gain = (tokens: Int32Array, len: number) =>
      sequenceLogp(state.logits, state, pairs.promptOf[k], tokens, k * L, len) - sequenceLogp(state.ref, state, pairs.promptOf[k], tokens, k * L, len);
    if (Math.abs(gain(pairs.chosen, pairs.chosenLen[k]) - gain(pairs.rejected, pairs.rejectedLen[k])) < 1e-9) ties++;
  }
  return ties;
}

/**
 * With SGD the step Δ logits is −lr × (clipped) gradient, so it is compared as
 * the gradient. Adam normalises each coordinate: a gradient 10^5 below the
 * largest still moves its logit by about lr, with its f32 rounding scaled up
 * relative to the whole step vector; there the updated logits and both moments
 * are what is compared.
 */
function compareStates(gpuState: PolicyState, cpuState: PolicyState, before: PolicyState, sgd: boolean, where: string): void {
  if (sgd) expectArrayClose(diff(gpuState.logits, before.logits), diff(cpuState.logits, before.logits), RTOL, `${where}: gradient step (Δ logits)`);
  expectArrayClose(gpuState.logits, cpuState.logits, RTOL, `${where}: logits`);
  expectArrayClose(gpuState.adamM, cpuState.adamM, RTOL, `${where}: adam m`);
  expectArrayClose(gpuState.adamV, cpuState.adamV, RTOL, `${where}: adam v`);
  expect(gpuState.optSteps, `${where}: optimizer steps`).toBe(cpuState.optSteps);
  if (Number.isNaN(cpuState.baseline)) expect(gpuState.baseline).toBeNaN();
  else expectClose(gpuState.baseline, cpuState.baseline, 1e-12, 0, `${where}: baseline`);
}

describe.skipIf(!gpu).each(['tabular', 'autoregressive'] as const)('WebGPU vs CPU parity, %s policy', (kind) => {
  let backend: WebGpuBackend;
  const base = { task: 'reverse', policy: { kind, init: 'base', init_scale: 0.5 }, seed: 7, batch_prompts: 4, num_generations: 6 };

  beforeAll(async () => {
    backend = await WebGpuBackend.create(gpu!, setup(base).state);
  });
  afterAll(() => backend?.dispose());

  /** Runs STEPS updates of `variant` on both backends from the same state and samples, comparing everything. */
  async function runVariant(variant: Variant): Promise<void> {
    const { config, task, state } = setup({ ...base, ...variant.config, policy: base.policy });
    await backend.writeState(state);
    const cpu = new CpuBackend(state);
    const L = state.shape.maxLen;
    for (let step = 1; step <= STEPS; step++) {
      const where = `${variant.name}, step ${step}`;
      const before = await cpu.readState();
      const trains = config.objective === 'rft';
      const stream = trains ? Stream.train : Stream.measure;
      const promptOf = lanePrompts(config, task, step);
      const cpuSamples = cpu.sampleSync(step, stream, promptOf, config.temperature, config.seed);
      const gpuSamples = await backend.sample(step, stream, promptOf, config.temperature, config.seed);
      expect(Array.from(gpuSamples.tokens), `${where}: sampled tokens`).toEqual(Array.from(cpuSamples.tokens));
      expect(Array.from(gpuSamples.lengths), `${where}: sampled lengths`).toEqual(Array.from(cpuSamples.lengths));
      let cpuReq: UpdateRequest;
      let gpuReq: UpdateRequest;
      let tiedPairs = 0;
      if (config.objective === 'rft') {
        const rewards = syntheticRewards(cpuSamples, L);
        cpuReq = { objective: 'rft', samples: cpuSamples, rewards };
        gpuReq = { objective: 'rft', samples: gpuSamples, rewards };
      } else if (config.objective === 'dpo') {
        const K = config.dpo.pairs === 'online' ? 0 : config.batch_prompts;
        const pairs = pairBatch(task, L, (step - 1) * K, K);
        tiedPairs = countTiedPairs(before, pairs);
        cpuReq = { objective: 'dpo', samples: cpuSamples, pairs };
        gpuReq = { objective: 'dpo', samples: gpuSamples, pairs };
      } else {
        const demos = demoBatch(task, L, (step - 1) * config.batch_prompts, config.batch_prompts);
        cpuReq = { objective: 'sft', samples: cpuSamples, demos };
        gpuReq = { objective: 'sft', samples: gpuSamples, demos };
      }
      const cpuStats = await cpu.update(step, cpuReq, config);
      const gpuStats = await backend.update(step, gpuReq, config);
      compareStats(gpuStats, cpuStats, where, tiedPairs, config.batch_prompts);
      compareStates(await backend.readState(), await cpu.readState(), before, config.optimizer.name === 'sgd', where);
    }
  }

  for (const variant of rftVariants) it(`rft ${variant.name}`, () => runVariant(variant));
  for (const variant of dpoVariants) it(`dpo ${variant.name}`, () => runVariant(variant));
  for (const variant of sftVariants) it(`sft ${variant.name}`, () => runVariant(variant));

  it('uploads samples it did not draw itself (same numbers as the on-device batch)', async () => {
    const { config, task, state } = setup(base);
    await backend.writeState(state);
    const cpu = new CpuBackend(state);
    const samples = cpu.sampleSync(1, Stream.train, lanePrompts(config, task, 1), 1, config.seed);
    const rewards = syntheticRewards(samples, state.shape.maxLen);
    compareStats(await backend.update(1, { objective: 'rft', samples, rewards }, config), await cpu.update(1, { objective: 'rft', samples, rewards }, config), 'foreign samples');
  });

  it('an update that leaves finite logits beyond ±LOGIT_LIMIT is undone on both backends', async () => {
    // Adam at learning rate 1e30: every touched logit moves by ~1e30, finite in float32 but overflowed.
    const { config, task, state } = setup({ ...base, objective: 'rft', optimizer: { name: 'adam', learning_rate: 1e30 } });
    await backend.writeState(state);
    const cpu = new CpuBackend(state);
    const samples = cpu.sampleSync(1, Stream.train, lanePrompts(config, task, 1), config.num_generations, config.seed);
    const rewards = syntheticRewards(samples, state.shape.maxLen);
    const cpuStats = await cpu.update(1, { objective: 'rft', samples, rewards }, config);
    const gpuStats = await backend.update(1, { objective: 'rft', samples, rewards }, config);
    expect(cpuStats.finite).toBe(false);
    expect(gpuStats.finite).toBe(false);
    expect(Array.from((await backend.readState()).logits)).toEqual(Array.from(state.logits));
    // The same update at an ordinary learning rate goes through on both.
    const ok = { ...config, optimizer: { ...config.optimizer, learning_rate: 0.1 } };
    expect((await cpu.update(1, { objective: 'rft', samples, rewards }, ok)).finite).toBe(true);
    expect((await backend.update(1, { objective: 'rft', samples, rewards }, ok)).finite).toBe(true);
  });

  it('a diverging update reports finite: false and keeps the previous state, like the CPU', async () => {
    // Huge logits against a zero reference make the IPO margin ~1e37; the SGD step then overflows f32.
    const { config, task, state } = setup({ ...base, objective: 'dpo', dpo: { loss_type: 'ipo' }, optimizer: { name: 'sgd', learning_rate: 1e6, max_grad_norm: null } });
    state.logits.forEach((_, i) => (state.logits[i] = i % 3 === 0 ? 1e37 : -1e37));
    state.ref.fill(0);
    await backend.writeState(state);
    const cpu = new CpuBackend(state);
    const L = state.shape.maxLen;
    const samples = cpu.sampleSync(1, Stream.measure, lanePrompts(config, task, 1), 1, config.seed);
    const pairs = pairBatch(task, L, 0, config.batch_prompts);
    const cpuStats = await cpu.update(1, { objective: 'dpo', samples, pairs }, config);
    const gpuStats = await backend.update(1, { objective: 'dpo', samples, pairs }, config);
    expect(cpuStats.finite).toBe(false);
    expect(gpuStats.finite).toBe(false);
    const after = await backend.readState();
    expect(Array.from(after.logits)).toEqual(Array.from(state.logits));
    expect(after.optSteps).toBe(0);
  });
});

describe.skipIf(!gpu)('2-D dispatch grids (what batches beyond 65,535 workgroups use)', () => {
  it('give the same numbers with at most 3 workgroups per dimension', async () => {
    const input = { task: 'reverse', policy: { kind: 'autoregressive', init_scale: 0.5 }, seed: 2, batch_prompts: 16, num_generations: 64, rft: { beta: 0.1, entropy_coef: 0.01 } };
    // 1,024 answers = 4 workgroups of 256, laid out as a 3 × 2 grid (two of them idle).
    const { config, task, state } = setup(input);
    const backend = await WebGpuBackend.create(gpu!, state, { maxWorkgroupsPerDimension: 3 });
    try {
      const cpu = new CpuBackend(state);
      for (let step = 1; step <= 2; step++) {
        const promptOf = lanePrompts(config, task, step);
        const samples = await backend.sample(step, Stream.train, promptOf, 1, config.seed);
        const reference = cpu.sampleSync(step, Stream.train, promptOf, 1, config.seed);
        expect(Array.from(samples.tokens)).toEqual(Array.from(reference.tokens));
        const rewards = syntheticRewards(samples, state.shape.maxLen);
        const gpuStats = await backend.update(step, { objective: 'rft', samples, rewards }, config);
        const cpuStats = await cpu.update(step, { objective: 'rft', samples: reference, rewards }, config);
        compareStats(gpuStats, cpuStats, `2-D grid, step ${step}`);
      }
      expectArrayClose((await backend.readState()).logits, cpu.logits, RTOL, '2-D grid: logits');
    } finally {
      backend.dispose();
    }
  });
});
