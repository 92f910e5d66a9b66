/**
 * The transformer through the engine's seam: the objectives' gradients, taken
 * by the CPU backend through the policy adapter (src/engine/policies/transformer.ts,
 * one batched forward per batch), against finite differences of each
 * objective's loss written independently over the read-outs (one answer at a
 * time through `sequenceLogProb` / `nextTokenDistribution`).
 */
import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../../src/engine/objectives/advantages.ts';
import { dpoLoss } from '../../../src/engine/objectives/dpo.ts';
import { tokenWeight } from '../../../src/engine/objectives/rft.ts';
import { readouts } from '../../../src/engine/policies/index.ts';
import { Stream } from '../../../src/engine/prng.ts';
import type { PolicyState } from '../../../src/engine/policy.ts';
import type { ConfigInput } from '../../../src/engine/config.ts';
import { encodeAnswers, expectClose, fixture, pairBatch, promptLayout, syntheticRewards } from '../../engine/helpers.ts';

const SGD = { name: 'sgd', learning_rate: 1e-3, max_grad_norm: null } as const;
const tiny = (over: ConfigInput = {}): ConfigInput => ({
  task: 'reverse',
  num_prompts: 6,
  eval_prompts: 0,
  policy: { kind: 'transformer', init: 'random', layers: 1, d_model: 8, heads: 2 },
  optimizer: SGD,
  num_generations: 4,
  ...over,
});

/** Central differences in float64 over a float32 model: h large enough for f32 forward noise. */
function fd(f: (theta: Float32Array) => number, theta: Float32Array, coords: number[], h = 2e-3): Map<number, number> {
  const out = new Map<number, number>();
  for (const i of coords) {
    const x = theta.slice();
    x[i] = theta[i] + h;
    const up = f(x);
    x[i] = theta[i] - h;
    const down = f(x);
    out.set(i, (up - down) / (2 * h));
  }
  return out;
}

/** The coordinates with the largest gradients (where FD noise matters least) and a spread of others. */
function coordsOf(grad: Float64Array, count = 24): number[] {
  const byMagnitude = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a]));
  const spread = Array.from({ length: 8 }, (_, k) => Math.floor(((k + 0.5) * grad.length) / 8));
  return [...new Set([...byMagnitude.slice(0, count), ...spread])];
}

function checkGradient(grad: Float64Array, numeric: Map<number, number>, what: string): void {
  let covered = 0;
  for (const [i, g] of numeric) {
    expectClose(grad[i], g, 3e-2, 3e-4, `${what} ∂L/∂θ[${i}]`);
    if (Math.abs(g) > 1e-3) covered++;
  }
  expect(covered, `${what}: the check covers real gradient entries`).toBeGreaterThan(5);
}

function withParams(state: PolicyState, params: Float32Array) {
  return readouts({ shape: state.shape, params, ref: state.ref });
}

function entropyOf(p: Float64Array): number {
  let h = 0;
  for (const x of p) if (x > 0) h -= x * Math.log(x);
  return h;
}

describe('transformer policy through the seam', () => {
  it('RFT (dapo, with an entropy bonus) matches finite differences of Σ w·A·log π + bonus', () => {
    const { cfg, state, backend } = fixture(tiny({ rft: { entropy_coef: 2 } }));
    const G = cfg.num_generations;
    const samples = backend.sampleSync(1, Stream.train, promptLayout(6, 3, G), 1, cfg.seed);
    const rewards = syntheticRewards(samples.count, G);
    backend.updateSync(1, { objective: 'rft', samples, rewards }, cfg);
    const adv = computeAdvantages(rewards, G, cfg.rft, Number.NaN).advantages;
    const L = state.shape.maxLen;
    let tokenCount = 0;
    for (let n = 0; n < samples.count; n++) tokenCount += samples.lengths[n];
    const loss = (theta: Float32Array) => {
      const r = withParams(state, theta);
      let total = 0;
      for (let n = 0; n < samples.count; n++) {
        const len = samples.lengths[n];
        const tokens = Array.from(samples.tokens.subarray(n * L, n * L + len));
        const w = tokenWeight(cfg.rft.loss_type, len, samples.count, tokenCount, L);
        // With one iteration the ratio is 1 at θ, so the surrogate's gradient is that of −w·A·log π.
        total -= w * adv[n] * r.sequenceLogProb('policy', samples.promptOf[n], tokens);
        for (let t = 0; t < len; t++) total -= (cfg.rft.entropy_coef * entropyOf(r.nextTokenDistribution(samples.promptOf[n], tokens.slice(0, t)))) / tokenCount;
      }
      return total;
    };
    const [{ theta, grad }] = backend.gradientLog!;
    checkGradient(grad, fd(loss, theta, coordsOf(grad)), 'rft');
  });

  it('DPO sigmoid matches finite differences of −log σ(β·h)', () => {
    const { cfg, task, state, backend } = fixture(tiny({ objective: 'dpo' }));
    const L = state.shape.maxLen;
    const pairs = pairBatch(task, L, 6);
    const samples = backend.sampleSync(1, Stream.measure, promptLayout(6, 2, 1), 1, cfg.seed);
    // Move the policy off the reference so h ≠ 0.
    backend.writeState({ ...state, logits: state.logits.map((x, i) => x + 0.05 * Math.sin(i)) });
    backend.updateSync(1, { objective: 'dpo', samples, pairs }, cfg);
    const answer = (tokens: Int32Array, k: number, len: number) => Array.from(tokens.subarray(k * L, k * L + len));
    const loss = (theta: Float32Array) => {
      const r = withParams(state, theta);
      let total = 0;
      for (let k = 0; k < pairs.count; k++) {
        const p = pairs.promptOf[k];
        const c = answer(pairs.chosen, k, pairs.chosenLen[k]);
        const j = answer(pairs.rejected, k, pairs.rejectedLen[k]);
        const h = r.sequenceLogProb('policy', p, c) - readRef(state, p, c) - (r.sequenceLogProb('policy', p, j) - readRef(state, p, j));
        total += dpoLoss('sigmoid', h, cfg.dpo.beta, 0).loss / pairs.count;
      }
      return total;
    };
    const [{ theta, grad }] = backend.gradientLog!;
    checkGradient(grad, fd(loss, theta, coordsOf(grad)), 'dpo');
  });

  it('SFT matches finite differences of the mean token NLL', () => {
    const { cfg, task, state, backend } = fixture(tiny({ objective: 'sft' }));
    const L = state.shape.maxLen;
    const demos = encodeAnswers(task, L, task.demos.slice(0, 6));
    const samples = backend.sampleSync(1, Stream.measure, promptLayout(6, 2, 1), 1, cfg.seed);
    backend.updateSync(1, { objective: 'sft', samples, demos }, cfg);
    let tokenCount = 0;
    for (let n = 0; n < demos.count; n++) tokenCount += demos.lengths[n];
    const loss = (theta: Float32Array) => {
      const r = withParams(state, theta);
      let nll = 0;
      for (let n = 0; n < demos.count; n++) nll -= r.sequenceLogProb('policy', demos.promptOf[n], Array.from(demos.tokens.subarray(n * L, n * L + demos.lengths[n])));
      return nll / tokenCount;
    };
    const [{ theta, grad }] = backend.gradientLog!;
    checkGradient(grad, fd(loss, theta, coordsOf(grad)), 'sft');
  });

  it('samples as the read-outs say: every sampled answer has the probability the model gives it, and the same key draws the same answers', () => {
    const { cfg, state, backend } = fixture(tiny());
    const a = backend.sampleSync(3, Stream.train, promptLayout(6, 6, 4), 1, cfg.seed);
    const b = backend.sampleSync(3, Stream.train, promptLayout(6, 6, 4), 1, cfg.seed);
    expect(Array.from(b.tokens)).toEqual(Array.from(a.tokens));
    const c = backend.sampleSync(4, Stream.train, promptLayout(6, 6, 4), 1, cfg.seed);
    expect(Array.from(c.tokens)).not.toEqual(Array.from(a.tokens));
    const r = withParams(state, state.logits);
    for (let n = 0; n < a.count; n++) {
      const len = a.lengths[n];
      const lp = r.sequenceLogProb('policy', a.promptOf[n], Array.from(a.tokens.subarray(n * state.shape.maxLen, n * state.shape.maxLen + len)));
      expect(Number.isFinite(lp) && lp < 0).toBe(true);
    }
  });
});

function readRef(state: PolicyState, prompt: number, tokens: number[]): number {
  return readouts({ shape: state.shape, params: state.ref, ref: state.ref }).sequenceLogProb('policy', prompt, tokens);
}

describe('a transformer run that diverges', () => {
  it('stops with the learning rate named, and keeps the last good parameters', async () => {
    const { makeLane } = await import('../../../src/engine/setup.ts');
    const { cfg, task, state, backend } = fixture(tiny({ objective: 'sft', optimizer: { name: 'adam', learning_rate: 1e7, warmup_steps: 0 } }));
    const lane = makeLane(cfg, { task, state, backend });
    const before = (await backend.readState()).logits.slice();
    const out = await lane.step();
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.reason).toBe('diverged');
      expect(out.message).toMatch(/learning rate 10000000 is probably too high; restored the last good state/);
    }
    expect(Array.from((await backend.readState()).logits)).toEqual(Array.from(before));
    // A sane learning rate then trains from there.
    lane.setConfig({ ...cfg, optimizer: { ...cfg.optimizer, learning_rate: 1e-3 } });
    expect((await lane.step()).ok).toBe(true);
    lane.disposeGraders();
  });
});
