/**
 * TRL's GRPO and DPO losses, re-stated line by line from TRL's source
 * (huggingface/trl at f2cd577, version 1.10: trl/trainer/grpo_trainer.py
 * `_generate_and_score_completions` and `_compute_loss`, trl/trainer/dpo_trainer.py
 * `_compute_loss`), on tensors written as plain arrays [sequence][token] with a
 * completion mask, and compared with the engine on random policies and rewards.
 * The only differences allowed are the ones the README states: `kl` is logged
 * exactly instead of TRL's k3 mean, and `cdpo` (not in TRL 1.10) is checked
 * against the cDPO formula instead.
 */
import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../src/engine/objectives/advantages.ts';
import type { PairBatch, TokenBatch } from '../../src/engine/backend.ts';
import { parseConfig, type Config, type ConfigInput } from '../../src/engine/config.ts';
import { Stream } from '../../src/engine/prng.ts';
import { finiteDiff, forEachToken, logSoftmax } from './reference.ts';
import { expectClose, fixture, pairBatch, promptLayout } from './helpers.ts';

const TOL = 1e-9;

/** A small seeded generator for the random inputs (independent of the engine's PRNG). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const logsigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

/** trl.trainer.utils.nanstd: Bessel-corrected. */
function nanstd(a: number[]): number {
  const m = mean(a);
  const variance = mean(a.map((x) => (x - m) ** 2));
  return Math.sqrt((variance * a.length) / (a.length - 1));
}

/** grpo_trainer.py, multi_objective_aggregation "sum_then_normalize" with one reward function. */
function trlAdvantages(rewards: number[], G: number, scale: 'group' | 'batch' | 'none'): number[] {
  const groups = Array.from({ length: rewards.length / G }, (_, g) => rewards.slice(g * G, g * G + G));
  const meanGrouped = groups.flatMap((g) => g.map(() => mean(g)));
  const std = scale === 'batch' ? rewards.map(() => nanstd(rewards)) : groups.flatMap((g) => g.map(() => nanstd(g)));
  return rewards.map((r, i) => (scale === 'none' ? r - meanGrouped[i] : (r - meanGrouped[i]) / (std[i] + 1e-4)));
}

interface Tensors {
  logps: number[][];
  old: number[][];
  ref: number[][];
  entropies: number[][];
  mask: number[][];
}

/** grpo_trainer.py `_compute_loss`, importance_sampling_level "token", one micro-batch on one process. */
function trlGrpoLoss(x: Tensors, advantages: number[], args: Config['rft'], maxCompletionLength: number): { loss: number; clipRatio: number } {
  const epsLow = args.epsilon;
  const epsHigh = args.epsilon_high ?? args.epsilon;
  const B = x.logps.length;
  const perTokenLoss = x.logps.map((row, i) =>
    row.map((lp, t) => {
      const coef1 = Math.exp(lp - x.old[i][t]);
      const coef2 = Math.min(Math.max(coef1, 1 - epsLow), 1 + epsHigh);
      let l = -Math.min(coef1 * advantages[i], coef2 * advantages[i]);
      if (args.beta !== 0) {
        const d = x.ref[i][t] - lp;
        l += args.beta * (Math.exp(d) - d - 1);
      }
      return l;
    }),
  );
  const maskedSum = (m: number[][], v: number[][]) => v.reduce((s, row, i) => s + row.reduce((a, y, t) => a + y * m[i][t], 0), 0);
  const tokens = maskedSum(x.mask, x.mask);
  let loss: number;
  if (args.loss_type === 'grpo') {
    loss = mean(perTokenLoss.map((row, i) => row.reduce((a, y, t) => a + y * x.mask[i][t], 0) / Math.max(1, x.mask[i].reduce((a, m) => a + m, 0))));
  } else if (args.loss_type === 'dr_grpo') {
    loss = maskedSum(x.mask, perTokenLoss) / (B * maxCompletionLength);
  } else {
    loss = maskedSum(x.mask, perTokenLoss) / Math.max(1, tokens); // dapo: num_items_in_batch
  }
  if (args.entropy_coef !== 0) {
    // dapo divides by the token count (the normaliser); grpo and dr_grpo by mask.sum(): both the token mean.
    loss -= (args.entropy_coef * maskedSum(x.mask, x.entropies)) / tokens;
  }
  const clipped = x.logps.map((row, i) =>
    row.map((lp, t) => {
      const coef1 = Math.exp(lp - x.old[i][t]);
      return (coef1 < 1 - epsLow && advantages[i] < 0) || (coef1 > 1 + epsHigh && advantages[i] > 0) ? 1 : 0;
    }),
  );
  return { loss, clipRatio: maskedSum(x.mask, clipped) / tokens };
}

/** Per-token log-probs, entropies and mask of a sampled batch, padded to max_len. */
function tensorsOf(theta: ArrayLike<number>, old: ArrayLike<number>, ref: ArrayLike<number>, cfg: Config, s: TokenBatch, shape: { vocab: number; maxLen: number }): Tensors {
  const L = shape.maxLen;
  const V = shape.vocab;
  const T = cfg.temperature;
  const pad = () => Array.from({ length: s.count }, () => new Array<number>(L).fill(0));
  const x: Tensors = { logps: pad(), old: pad(), ref: pad(), entropies: pad(), mask: pad() };
  for (let n = 0; n < s.count; n++) {
    forEachToken(shape as never, s, n, (row, tok, t) => {
      const lp = logSoftmax(theta, row, V, T);
      x.logps[n][t] = lp[tok];
      x.old[n][t] = logSoftmax(old, row, V, T)[tok];
      x.ref[n][t] = logSoftmax(ref, row, V, T)[tok];
      x.entropies[n][t] = -lp.reduce((a, v) => a + Math.exp(v) * v, 0);
      x.mask[n][t] = 1;
    });
  }
  return x;
}

/**
 * Central differences, leaving out coordinates where the loss has a kink within ±h (a clip
 * boundary: the one-sided slopes disagree), where no derivative exists to compare.
 */
function smoothDiff(f: (x: Float64Array) => number, x: ArrayLike<number>, coords: number[], h: number): Map<number, number> {
  const base = Float64Array.from(x);
  const f0 = f(base);
  const out = new Map<number, number>();
  for (const [i, central] of finiteDiff(f, x, coords, h)) {
    base[i] += h;
    const forward = (f(base) - f0) / h;
    base[i] = x[i];
    if (Math.abs(forward - central) <= 1e-3 * Math.abs(central) + 1e-6) out.set(i, central);
  }
  expect(out.size, 'most coordinates must be smooth').toBeGreaterThan(coords.length / 2);
  return out;
}

function randomise(logits: Float32Array, rand: () => number, scale: number): Float32Array {
  return logits.map((v) => v + scale * (rand() * 2 - 1));
}

const grpoCases: [string, ConfigInput][] = [
  ['scale group, dapo', { rft: { scale_rewards: 'group', loss_type: 'dapo' } }],
  ['scale batch, grpo loss', { rft: { scale_rewards: 'batch', loss_type: 'grpo' } }],
  ['scale none, dr_grpo', { rft: { scale_rewards: 'none', loss_type: 'dr_grpo' } }],
  ['clipping over 3 iterations, clip-higher, k3 KL', { rft: { num_iterations: 3, epsilon: 0.05, epsilon_high: 0.1, beta: 0.2 } }],
  ['grpo loss, KL, entropy bonus, T = 0.8', { temperature: 0.8, rft: { loss_type: 'grpo', num_iterations: 2, epsilon: 0.05, beta: 0.1, entropy_coef: 0.03 } }],
  ['dr_grpo, entropy bonus, batch scale', { rft: { loss_type: 'dr_grpo', scale_rewards: 'batch', num_iterations: 2, epsilon: 0.02, entropy_coef: 0.05 } }],
];

describe.each(['tabular', 'autoregressive'] as const)('GRPO against TRL, re-stated (%s)', (kind) => {
  it.each(grpoCases)('%s', (_name, over) => {
    let clippedAnywhere = 0;
    for (const seed of [1, 2, 3]) {
      const rand = mulberry32(seed * 7919);
      const G = 6;
      const { cfg, state, backend } = fixture({
        task: 'reverse',
        objective: 'rft',
        policy: { kind, init_scale: 0.5 },
        num_generations: G,
        optimizer: { name: 'sgd', learning_rate: 8, max_grad_norm: null },
        ...over,
        rft: { advantage: 'grpo', ...(over.rft as object) },
      });
      const start = { ...state, logits: randomise(state.logits, rand, 1) };
      backend.writeState(start);
      const samples = backend.sampleSync(1, Stream.train, promptLayout(8, 8, G), cfg.temperature, seed);
      // Random rewards with one tied group, so the zero-std path is exercised too.
      const rewards = Float32Array.from({ length: samples.count }, (_, i) => (i < G ? 0.5 : Math.round(rand() * 8) / 8));
      const trlAdv = trlAdvantages(Array.from(rewards), G, cfg.rft.scale_rewards);
      const engineAdv = computeAdvantages(rewards, G, cfg.rft, Number.NaN).advantages;
      trlAdv.forEach((a, i) => expectClose(engineAdv[i], a, TOL, TOL, `advantage ${i}`));

      const stats = backend.updateSync(1, { objective: 'rft', samples, rewards }, cfg);
      const log = backend.gradientLog!;
      expect(log.length).toBe(cfg.rft.num_iterations);
      let lossSum = 0;
      let clipSum = 0;
      for (const [it, { theta, grad }] of log.entries()) {
        const x = tensorsOf(theta, start.logits, start.ref, cfg, samples, state.shape);
        const trl = trlGrpoLoss(x, trlAdv, cfg.rft, state.shape.maxLen);
        lossSum += trl.loss;
        clipSum += trl.clipRatio;
        // The engine's gradient is the gradient of TRL's loss (central differences of the re-statement).
        const f = (th: ArrayLike<number>) => trlGrpoLoss(tensorsOf(th, start.logits, start.ref, cfg, samples, state.shape), trlAdv, cfg.rft, state.shape.maxLen).loss;
        const coords: number[] = [];
        grad.forEach((g, i) => g !== 0 && coords.length < 40 && i % 3 === it % 3 && coords.push(i));
        for (const [i, g] of smoothDiff(f, theta, coords, 1e-5)) expectClose(grad[i], g, 2e-4, 2e-7, `iteration ${it + 1} ∂L/∂θ[${i}]`);
      }
      expectClose(stats.loss, lossSum / log.length, TOL, TOL, `loss (seed ${seed})`);
      expectClose(stats.clip_ratio!, clipSum / log.length, TOL, TOL, `clip_ratio (seed ${seed})`);
      clippedAnywhere += clipSum;
      if (cfg.rft.num_iterations > 1) expect(clippedAnywhere + (seed < 3 ? 1 : 0), 'a case with iterations must clip some tokens').toBeGreaterThan(0);
    }
  });
});

/** dpo_trainer.py `_compute_loss` with f_divergence_type "reverse_kl", ld_alpha None, one loss type. */
function trlDpo(
  lossType: 'sigmoid' | 'ipo' | 'hinge' | 'robust',
  beta: number,
  labelSmoothing: number,
  x: { chosen: number[]; rejected: number[]; refChosen: number[]; refRejected: number[]; chosenLen: number[]; rejectedLen: number[] },
) {
  const chosenLogratios = x.chosen.map((c, i) => c - x.refChosen[i]);
  const rejectedLogratios = x.rejected.map((r, i) => r - x.refRejected[i]);
  const delta = chosenLogratios.map((c, i) => c - rejectedLogratios[i]);
  const perSequence = delta.map((d, i) => {
    if (lossType === 'sigmoid') return -logsigmoid(beta * d);
    if (lossType === 'hinge') return Math.max(0, 1 - beta * d);
    if (lossType === 'ipo') {
      const ipoDelta = chosenLogratios[i] / Math.max(1, x.chosenLen[i]) - rejectedLogratios[i] / Math.max(1, x.rejectedLen[i]);
      return (ipoDelta - 1 / (2 * beta)) ** 2;
    }
    const clean = -(1 - labelSmoothing) * logsigmoid(beta * d);
    const flipped = -labelSmoothing * logsigmoid(-beta * d);
    return (clean - flipped) / (1 - 2 * labelSmoothing);
  });
  const chosenRewards = chosenLogratios.map((v) => beta * v);
  const rejectedRewards = rejectedLogratios.map((v) => beta * v);
  return {
    loss: mean(perSequence),
    'rewards/chosen': mean(chosenRewards),
    'rewards/rejected': mean(rejectedRewards),
    'rewards/margins': mean(chosenRewards.map((c, i) => c - rejectedRewards[i])),
    'rewards/accuracies': mean(chosenRewards.map((c, i) => (c > rejectedRewards[i] ? 1 : 0))),
    'logps/chosen': mean(x.chosen),
    'logps/rejected': mean(x.rejected),
  };
}

function pairLogps(theta: ArrayLike<number>, ref: ArrayLike<number>, pairs: PairBatch, shape: { vocab: number; maxLen: number }) {
  const seq = (th: ArrayLike<number>, tokens: Int32Array, lens: Int32Array, k: number) => {
    let s = 0;
    forEachToken(shape as never, { promptOf: pairs.promptOf, tokens, lengths: lens }, k, (row, tok) => (s += logSoftmax(th, row, shape.vocab, 1)[tok]));
    return s;
  };
  const ks = Array.from({ length: pairs.count }, (_, k) => k);
  return {
    chosen: ks.map((k) => seq(theta, pairs.chosen, pairs.chosenLen, k)),
    rejected: ks.map((k) => seq(theta, pairs.rejected, pairs.rejectedLen, k)),
    refChosen: ks.map((k) => seq(ref, pairs.chosen, pairs.chosenLen, k)),
    refRejected: ks.map((k) => seq(ref, pairs.rejected, pairs.rejectedLen, k)),
    chosenLen: Array.from(pairs.chosenLen),
    rejectedLen: Array.from(pairs.rejectedLen),
  };
}

describe.each(['tabular', 'autoregressive'] as const)('DPO against TRL, re-stated (%s)', (kind) => {
  it.each([
    ['sigmoid', 0],
    ['ipo', 0],
    ['hinge', 0],
    ['robust', 0.2],
    ['cdpo', 0.15],
  ] as const)('%s (label_smoothing %s)', (lossType, labelSmoothing) => {
    for (const seed of [1, 2, 3]) {
      const rand = mulberry32(seed * 104729);
      const beta = lossType === 'hinge' ? 0.8 : 0.3;
      const { cfg, task, state, backend } = fixture({
        task: 'sort',
        objective: 'dpo',
        policy: { kind, init_scale: 0.5 },
        optimizer: { name: 'sgd', learning_rate: 1e-3, max_grad_norm: null },
        dpo: { loss_type: lossType, beta, label_smoothing: labelSmoothing },
      });
      const start = { ...state, logits: randomise(state.logits, rand, 1.5) };
      backend.writeState(start);
      const pairs = pairBatch(task, state.shape.maxLen, 16);
      expect(
        Array.from(pairs.chosenLen).some((len, k) => len !== pairs.rejectedLen[k]),
        'some pairs must differ in length, or IPO length normalisation goes untested',
      ).toBe(true);
      const samples = backend.sampleSync(1, Stream.measure, promptLayout(8, 8, 1), 1, 0);
      const stats = backend.updateSync(1, { objective: 'dpo', samples, pairs }, cfg) as unknown as Record<string, number>;
      const x = pairLogps(start.logits, start.ref, pairs, state.shape);
      // cDPO is not one of TRL 1.10's losses (its sigmoid ignores label_smoothing): compare with the cDPO formula,
      // which is TRL's sigmoid when ε = 0.
      const expected =
        lossType === 'cdpo'
          ? {
              ...trlDpo('sigmoid', beta, 0, x),
              loss: mean(x.chosen.map((c, i) => {
                const d = c - x.refChosen[i] - (x.rejected[i] - x.refRejected[i]);
                return -(1 - labelSmoothing) * logsigmoid(beta * d) - labelSmoothing * logsigmoid(-beta * d);
              })),
            }
          : trlDpo(lossType, beta, labelSmoothing, x);
      for (const [key, value] of Object.entries(expected)) expectClose(stats[key], value, TOL, TOL, `${lossType} ${key} (seed ${seed})`);
    }
  });

  it('sigmoid with label_smoothing is refused, naming cdpo (TRL 1.10 would silently ignore it)', () => {
    const r = parseConfig({ objective: 'dpo', dpo: { loss_type: 'sigmoid', label_smoothing: 0.1 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0].message).toMatch(/dpo\.label_smoothing = 0\.1: .*"cdpo"/);
    expect(parseConfig({ objective: 'dpo', dpo: { loss_type: 'cdpo', label_smoothing: 0.1 } }).ok).toBe(true);
  });
});
