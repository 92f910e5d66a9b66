/** Gradient anatomy against numbers worked out by hand, and against what the engine's update actually does. */
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/engine/config.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { newPolicyState, type PolicyShape } from '../../src/engine/policy.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import { Vocabulary } from '../../src/engine/task.ts';
import { dpoWeights, rftWeights, sequenceLogProb, sftWeights, stepAnatomy, tokenProbabilityChanges } from '../../src/lessons/gradient-anatomy.ts';

const STD_EPS = 1e-4; // as TRL: added to the group std before dividing

function cfg(over: Record<string, unknown> = {}): Config {
  return loadConfig({ backend: 'cpu', ...over });
}

describe('RFT weights are the advantages', () => {
  // Two groups of four for prompt 0 and 1: one right answer in the first, all right in the second.
  const view = {
    promptOf: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
    texts: ['cba', 'abc', 'aaaa', 'cb', 'ab', 'ab', 'ab', 'ab'],
    scores: Float64Array.from([1, 0, 0, 0, 1, 1, 1, 1]),
  };

  it('grpo: (r − mean) / (std + eps), zero for a group with no spread', () => {
    const w = rftWeights(view, cfg({ num_generations: 4 }), 5);
    // Group 1: mean 1/4, sample std sqrt((0.75² + 3·0.25²)/3) = 0.5.
    const up = 0.75 / (0.5 + STD_EPS);
    const down = -0.25 / (0.5 + STD_EPS);
    expect(w.map((x) => x.advantage)).toEqual([up, down, down, down, 0, 0, 0, 0].map((x) => expect.closeTo(x, 12)));
    expect(w.map((x) => x.push)).toEqual(['up', 'down', 'down', 'down', 'none', 'none', 'none', 'none']);
  });

  it('dapo spreads each advantage over every token of the batch; grpo over the sample then the batch', () => {
    // Tokens with EOS: cba 4, abc 4, aaaa 5, cb 3, ab ×4 = 3 each → 28.
    const up = 0.75 / (0.5 + STD_EPS);
    const dapo = rftWeights(view, cfg({ num_generations: 4, rft: { loss_type: 'dapo' } }), 5);
    expect(dapo[0].perToken).toBeCloseTo(up / 28, 12);
    const grpo = rftWeights(view, cfg({ num_generations: 4, rft: { loss_type: 'grpo' } }), 5);
    expect(grpo[0].perToken).toBeCloseTo(up / (4 * 8), 12);
    expect(grpo[2].perToken).toBeCloseTo(-0.25 / (0.5 + STD_EPS) / (5 * 8), 12);
    const dr = rftWeights(view, cfg({ num_generations: 4, rft: { loss_type: 'dr_grpo' } }), 5);
    expect(dr[0].perToken).toBeCloseTo(up / (8 * 5), 12);
  });

  it('rloo: r − mean of the others; reinforce: r − the baseline carried in', () => {
    const rloo = rftWeights(view, cfg({ num_generations: 4, rft: { advantage: 'rloo' } }), 5);
    expect(rloo.slice(0, 4).map((x) => x.advantage)).toEqual([1, -1 / 3, -1 / 3, -1 / 3].map((x) => expect.closeTo(x, 12)));
    const reinforce = rftWeights(view, cfg({ num_generations: 4, rft: { advantage: 'reinforce' } }), 5, 0.5);
    expect(reinforce.map((x) => x.advantage)).toEqual([0.5, -0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('refuses mismatched inputs with a clear message', () => {
    expect(() => rftWeights({ ...view, scores: new Float64Array(3) }, cfg({ num_generations: 4 }), 5)).toThrow(/8 texts but 3 scores/);
  });
});

describe('DPO weights are σ(−β·margin)', () => {
  // Two answer letters; token 0 = EOS, 1 = "a", 2 = "b". Reference: uniform (all-zero logits).
  const task = { alphabet: ['a', 'b'] };
  const tabular: PolicyShape = { kind: 'tabular', prompts: 1, maxLen: 3, vocab: 3 };

  it('matches the hand computation on a tabular policy', () => {
    const state = newPolicyState(tabular, new Float32Array(9));
    state.logits.set([0, 1, 0], 0); // position 0 favours "a"
    state.logits.set([0.5, 0, 0], 3); // position 1 favours EOS (shared by both answers)
    // margin = [log π(a) + log π(⏎) + 2 log 3] − [log π(b) + log π(⏎) + 2 log 3] = log π(a) − log π(b) = 1 − 0.
    const [w] = dpoWeights([{ prompt: 0, chosen: 'a', rejected: 'b' }], state, task, cfg().dpo);
    expect(w.margin).toBeCloseTo(1, 6);
    expect(w.weight).toBeCloseTo(1 / (1 + Math.exp(0.1 * 1)), 6);
  });

  it('matches the hand computation on an autoregressive policy, and the engine\'s own margin', () => {
    const shape: PolicyShape = { kind: 'autoregressive', prompts: 1, maxLen: 3, vocab: 3 };
    const state = newPolicyState(shape, new Float32Array(27));
    // Row index (position·V + previous token)·V: position 0 after "start" (EOS) is row 0; position 1 after "a" is row 4.
    state.logits.set([0, 1, 0], 0);
    state.logits.set([2, 0, 0], 4 * 3);
    const logA = 1 - Math.log(2 + Math.E);
    const logB = 0 - Math.log(2 + Math.E);
    const logEosAfterA = 2 - Math.log(Math.exp(2) + 2);
    const logEosAfterB = -Math.log(3);
    const margin = logA + logEosAfterA - (logB + logEosAfterB); // the reference terms (−2 log 3 each) cancel
    const beta = 0.5;
    const config = cfg({ dpo: { beta } });
    const [w] = dpoWeights([{ prompt: 0, chosen: 'a', rejected: 'b' }], state, task, config.dpo);
    expect(w.margin).toBeCloseTo(margin, 6);
    expect(w.weight).toBeCloseTo(1 / (1 + Math.exp(beta * margin)), 6);

    // The engine reports β·margin as rewards/margins for the same pair.
    const backend = new CpuBackend(state);
    const pair = { count: 1, promptOf: Int32Array.of(0), chosen: Int32Array.of(1, 0, 0), chosenLen: Int32Array.of(2), rejected: Int32Array.of(2, 0, 0), rejectedLen: Int32Array.of(2) };
    const samples = { count: 1, promptOf: Int32Array.of(0), tokens: Int32Array.of(1, 0, 0), lengths: Int32Array.of(2) };
    const stats = backend.updateSync(1, { objective: 'dpo', samples, pairs: pair }, config);
    expect(stats['rewards/margins']! / beta).toBeCloseTo(margin, 5);
  });

  it('uses −dL/dmargin / β for the other losses (IPO: per-token means, pulled towards 1/(2β))', () => {
    const state = newPolicyState(tabular, new Float32Array(9));
    state.logits.set([0, 1, 0], 0);
    const beta = 0.25;
    const [w] = dpoWeights([{ prompt: 0, chosen: 'a', rejected: 'b' }], state, task, cfg({ dpo: { loss_type: 'ipo', beta } }).dpo);
    const h = (1 - 0) / 2; // two tokens each ("a"/"b" then EOS); the EOS terms cancel
    expect(w.margin).toBeCloseTo(h, 6);
    expect(w.weight).toBeCloseTo((-2 * (h - 1 / (2 * beta))) / beta, 6);
  });

  it('scores a sampled answer that filled max_len without EOS', () => {
    const vocab = new Vocabulary(['a', 'b']);
    const zero = new Float32Array(9);
    expect(sequenceLogProb(zero, tabular, vocab, 0, 'aba')).toBeCloseTo(3 * Math.log(1 / 3), 12);
    expect(() => sequenceLogProb(zero, tabular, vocab, 0, 'abab')).toThrow(/4 characters but max_len is 3/);
    expect(() => sequenceLogProb(zero, tabular, vocab, 0, 'z')).toThrow(/"z", which is not in the task's vocabulary/);
  });
});

describe('SFT weights', () => {
  it('are 1 per target token, EOS included', () => {
    const w = sftWeights([{ prompt: 0, answer: 'cba' }, { prompt: 1, answer: '' }], 5);
    expect(w.map((d) => [d.tokens, d.perToken])).toEqual([[4, 1], [1, 1]]);
  });
});

describe('a real step, seen through the anatomy', () => {
  it('RFT: the right answer\'s token probabilities go up, a wrong one\'s go down', async () => {
    const config = cfg({ task: 'reverse', num_generations: 4, batch_prompts: 1 });
    const task = resolveTask(config);
    const state = initialState(config, task);
    const backend = new CpuBackend(state);
    const right = String(task.items[0].reference);
    // A wrong answer that differs from the right one at every position (one shorter, so EOS lands elsewhere too).
    const wrong = [...right.slice(0, -1)].map((ch) => (ch === 'a' ? 'b' : 'a')).join('');
    const answers = [right, wrong, wrong, wrong];
    const vocab = new Vocabulary(task.alphabet);
    const L = state.shape.maxLen;
    const tokens = new Int32Array(4 * L);
    const lengths = Int32Array.from(answers.map((a, i) => vocab.encodeInto(a, L, tokens, i * L)));
    const samples = { count: 4, promptOf: new Int32Array(4), tokens, lengths };
    const anatomy = rftWeights({ promptOf: samples.promptOf, texts: answers, scores: Float64Array.from([1, 0, 0, 0]) }, config, L);
    expect(anatomy.map((a) => a.push)).toEqual(['up', 'down', 'down', 'down']);

    backend.updateSync(1, { objective: 'rft', samples, rewards: Float32Array.from([1, 0, 0, 0]) }, config);
    const up = tokenProbabilityChanges(state.logits, backend.logits, state.shape, task, 0, right);
    const down = tokenProbabilityChanges(state.logits, backend.logits, state.shape, task, 0, wrong);
    expect(up.length).toBe(right.length + 1);
    for (const c of up) expect(c.after, `"${right}" position ${c.position} (${c.token})`).toBeGreaterThan(c.before);
    for (const c of down) expect(c.after, `"${wrong}" position ${c.position} (${c.token})`).toBeLessThan(c.before);
  });

  it('stepAnatomy reads a lane\'s step view for each objective', async () => {
    for (const objective of ['rft', 'dpo', 'sft'] as const) {
      const config = cfg({ task: 'reverse', objective, batch_prompts: 2, num_generations: 4 });
      const task = resolveTask(config);
      const state = initialState(config, task);
      const lane = makeLane(config, { task, state });
      const before = await lane.backend.readState();
      const out = await lane.step();
      if (!out.ok) throw new Error(out.message);
      const a = stepAnatomy(config, out.view, before, task);
      expect(a.objective).toBe(objective);
      if (a.objective === 'rft') expect(a.samples.length).toBe(8);
      // At the start the policy equals its reference: every margin is 0 and every weight σ(0) = 1/2.
      if (a.objective === 'dpo') expect(a.pairs.map((p) => p.weight)).toEqual([0.5, 0.5]);
      if (a.objective === 'sft') expect(a.demos.every((d) => d.perToken === 1 && d.tokens >= 4)).toBe(true);
    }
  });
});
