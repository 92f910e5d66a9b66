/** Analytic gradients of every objective and variant, in both parametrisations, against finite differences. */
import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../src/engine/objectives/advantages.ts';
import type { ConfigInput } from '../../src/engine/config.ts';
import { Stream } from '../../src/engine/prng.ts';
import { dpoLossRef, finiteDiff, rftLoss, sftLossRef } from './reference.ts';
import { encodeAnswers, expectClose, fixture, pairBatch, promptLayout, syntheticRewards } from './helpers.ts';

const kinds = ['tabular', 'autoregressive'] as const;
const SGD = { name: 'sgd', learning_rate: 1e-3, max_grad_norm: null } as const;

/** Every parameter of the visited rows plus a few untouched ones (whose gradient must be 0). */
function coordsOf(grad: Float64Array, V: number, limit = 240): number[] {
  const rows = new Set<number>();
  grad.forEach((g, i) => g !== 0 && rows.add(Math.floor(i / V)));
  const coords: number[] = [];
  for (const r of rows) for (let j = 0; j < V; j++) coords.push(r * V + j);
  const step = Math.max(1, Math.floor(coords.length / limit));
  const picked = coords.filter((_, i) => i % step === 0);
  for (let i = 0; i < grad.length && picked.length < limit + 8; i += Math.floor(grad.length / 7) + 1) picked.push(i);
  return picked;
}

function checkGradient(grad: Float64Array, fd: Map<number, number>, what: string) {
  let nonzero = 0;
  for (const [i, g] of fd) {
    expectClose(grad[i], g, 2e-4, 2e-7, `${what} ∂L/∂θ[${i}]`);
    if (Math.abs(g) > 1e-6) nonzero++;
  }
  expect(nonzero, `${what}: the check must cover real gradient entries`).toBeGreaterThan(3);
}

const rftVariants: [string, ConfigInput][] = [
  ['grpo group dapo', { rft: { advantage: 'grpo' } }],
  ['grpo batch grpo-loss', { rft: { advantage: 'grpo', scale_rewards: 'batch', loss_type: 'grpo' } }],
  ['grpo none dr_grpo', { rft: { advantage: 'grpo', scale_rewards: 'none', loss_type: 'dr_grpo' } }],
  ['rloo', { rft: { advantage: 'rloo' } }],
  ['reinforce', { rft: { advantage: 'reinforce' } }],
  ['kl + entropy bonus, T=0.7', { temperature: 0.7, rft: { beta: 0.3, entropy_coef: 0.05 } }],
];

describe.each(kinds)('RFT gradients (%s)', (kind) => {
  it.each(rftVariants)('%s matches finite differences', (_name, over) => {
    const { cfg, state, backend } = fixture({ task: 'reverse', policy: { kind, init_scale: 0.8 }, optimizer: SGD, num_generations: 4, ...over });
    const G = cfg.num_generations;
    // Move the policy away from the reference so the KL term is not at its minimum.
    const moved = { ...state, logits: state.logits.map((x, i) => x + 0.3 * Math.sin(i)) };
    backend.writeState(moved);
    const samples = backend.sampleSync(1, Stream.train, promptLayout(8, 6, G), cfg.temperature, cfg.seed);
    const rewards = syntheticRewards(samples.count, G);
    const stats = backend.updateSync(1, { objective: 'rft', samples, rewards }, cfg);
    const adv = computeAdvantages(rewards, G, cfg.rft, Number.NaN).advantages;
    const [{ theta, grad }] = backend.gradientLog!;
    const loss = (x: ArrayLike<number>) => rftLoss(x, moved.logits, state.ref, state.shape, samples, adv, cfg.rft, cfg.temperature);
    expectClose(stats.loss, loss(theta), 1e-9, 1e-12, 'loss');
    checkGradient(grad, finiteDiff(loss, theta, coordsOf(grad, state.shape.vocab)), 'rft');
  });

  it('clipped second iteration (num_iterations 2, epsilon_high) matches finite differences', () => {
    const { cfg, state, backend } = fixture({
      task: 'reverse',
      policy: { kind, init_scale: 0.8 },
      optimizer: { name: 'sgd', learning_rate: 40, max_grad_norm: null },
      num_generations: 4,
      rft: { num_iterations: 2, epsilon: 0.1, epsilon_high: 0.15 },
    });
    const G = cfg.num_generations;
    const samples = backend.sampleSync(1, Stream.train, promptLayout(8, 6, G), 1, cfg.seed);
    const rewards = syntheticRewards(samples.count, G);
    const stats = backend.updateSync(1, { objective: 'rft', samples, rewards }, cfg);
    expect(stats.clip_ratio, 'the big first step must push some ratios past the clip').toBeGreaterThan(0);
    const adv = computeAdvantages(rewards, G, cfg.rft, Number.NaN).advantages;
    const { theta, grad } = backend.gradientLog![1];
    const loss = (x: ArrayLike<number>) => rftLoss(x, state.logits, state.ref, state.shape, samples, adv, cfg.rft, 1);
    checkGradient(grad, finiteDiff(loss, theta, coordsOf(grad, state.shape.vocab), 1e-5), 'rft iteration 2');
  });
});

describe.each(kinds)('DPO gradients (%s)', (kind) => {
  it.each(['sigmoid', 'cdpo', 'ipo', 'hinge', 'robust'] as const)('%s matches finite differences', (loss_type) => {
    const { cfg, task, state, backend } = fixture({
      task: 'reverse',
      objective: 'dpo',
      policy: { kind, init_scale: 0.5 },
      optimizer: SGD,
      dpo: { loss_type, beta: loss_type === 'hinge' ? 2 : 0.5, label_smoothing: loss_type === 'robust' || loss_type === 'cdpo' ? 0.1 : 0 },
    });
    const moved = { ...state, logits: state.logits.map((x, i) => x + 0.4 * Math.cos(i)) };
    backend.writeState(moved);
    const pairs = pairBatch(task, state.shape.maxLen, 12);
    const samples = backend.sampleSync(1, Stream.measure, promptLayout(8, 8, 1), 1, 0);
    const stats = backend.updateSync(1, { objective: 'dpo', samples, pairs }, cfg);
    const [{ theta, grad }] = backend.gradientLog!;
    const loss = (x: ArrayLike<number>) => dpoLossRef(x, state.ref, state.shape, pairs, cfg.dpo);
    expectClose(stats.loss, loss(theta), 1e-9, 1e-12, 'loss');
    checkGradient(grad, finiteDiff(loss, theta, coordsOf(grad, state.shape.vocab)), `dpo ${loss_type}`);
  });
});

describe.each(kinds)('SFT gradient (%s)', (kind) => {
  it('matches finite differences', () => {
    const { cfg, task, state, backend } = fixture({ task: 'add', objective: 'sft', policy: { kind, init_scale: 0.5 }, optimizer: SGD });
    const demos = encodeAnswers(task, state.shape.maxLen, task.demos.slice(0, 10));
    const samples = backend.sampleSync(1, Stream.measure, promptLayout(16, 4, 1), 1, 0);
    const stats = backend.updateSync(1, { objective: 'sft', samples, demos }, cfg);
    const [{ theta, grad }] = backend.gradientLog!;
    const loss = (x: ArrayLike<number>) => sftLossRef(x, state.shape, demos);
    expectClose(stats.loss, loss(theta), 1e-9, 1e-12, 'loss');
    checkGradient(grad, finiteDiff(loss, theta, coordsOf(grad, state.shape.vocab)), 'sft');
  });
});
