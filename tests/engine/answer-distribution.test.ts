/**
 * Whole-answer probabilities (src/engine/answer-distribution.ts) against an
 * independent computation: brute-force enumeration of every answer of a small
 * random table, and the engine's own sampler, whose answer frequencies must
 * match the exact probabilities within a binomial tolerance.
 */
import { describe, expect, it } from 'vitest';
import { answerDistribution, topKRenormalised } from '../../src/engine/answer-distribution.ts';
import { policyModel, readouts, type PolicyParameters, type PolicyShape } from '../../src/engine/policies/index.ts';
import { drawNormal, Stream } from '../../src/engine/prng.ts';
import { EOS } from '../../src/engine/task.ts';

function randomPolicy(kind: PolicyShape['kind'], seed: number): PolicyParameters {
  const shape: PolicyShape = { kind, prompts: 2, maxLen: 3, vocab: 4 };
  const n = policyModel(kind).paramCount(shape);
  const params = Float32Array.from({ length: n }, (_, i) => 1.5 * drawNormal(seed, Stream.init, 9, i, 0));
  return { shape, params, ref: params.slice() };
}

/** Every answer the sampler can produce, with the product of its token probabilities. */
function bruteForce(next: (prefix: readonly number[]) => ArrayLike<number>, maxLen: number, V: number): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (prefix: number[], p: number) => {
    const q = next(prefix);
    for (let j = 0; j < V; j++) {
      const child = [...prefix, j];
      if (j === EOS || child.length === maxLen) out.set(child.join(','), (out.get(child.join(',')) ?? 0) + p * q[j]);
      else walk(child, p * q[j]);
    }
  };
  walk([], 1);
  return out;
}

describe.each(['tabular', 'autoregressive'] as const)('whole-answer probabilities (%s)', (kind) => {
  const policy = randomPolicy(kind, kind === 'tabular' ? 3 : 4);
  const { nextTokenDistribution } = readouts(policy);

  it.each([1, 0.5, 2])('at temperature %s: the same numbers as brute-force enumeration, in decreasing order, summing to 1', (T) => {
    const next = (prefix: readonly number[]) => nextTokenDistribution(1, [...prefix], T);
    const exact = bruteForce(next, policy.shape.maxLen, policy.shape.vocab);
    const all = answerDistribution(next, policy.shape.maxLen, { limit: 1000 });
    expect(all.answers.length).toBe(exact.size);
    expect(all.covered).toBeCloseTo(1, 12);
    for (const a of all.answers) expect(a.probability).toBeCloseTo(exact.get(a.tokens.join(','))!, 14);
    for (let i = 1; i < all.answers.length; i++) expect(all.answers[i].probability).toBeLessThanOrEqual(all.answers[i - 1].probability);
    // The top 5 alone are the 5 largest of the enumeration.
    const top = answerDistribution(next, policy.shape.maxLen, { limit: 5 });
    expect(top.answers.map((a) => a.probability)).toEqual([...exact.values()].sort((a, b) => b - a).slice(0, 5).map((p) => expect.closeTo(p, 14)));
  });

  it("matches the engine's own sampler within a binomial tolerance", () => {
    const T = 0.8;
    const model = policyModel(kind).cpu(policy.shape);
    model.bind(policy.params, policy.ref);
    const N = 20_000;
    const batch = model.sample(1, Stream.train, new Int32Array(N).fill(1), T, 11);
    const counts = new Map<string, number>();
    for (let n = 0; n < N; n++) {
      const key = Array.from(batch.tokens.subarray(n * policy.shape.maxLen, n * policy.shape.maxLen + batch.lengths[n])).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const { answers } = answerDistribution((prefix) => nextTokenDistribution(1, [...prefix], T), policy.shape.maxLen, { limit: 1000 });
    for (const a of answers) {
      const seen = (counts.get(a.tokens.join(',')) ?? 0) / N;
      const sigma = Math.sqrt((a.probability * (1 - a.probability)) / N);
      expect(Math.abs(seen - a.probability)).toBeLessThanOrEqual(5 * sigma + 1e-9);
    }
  });
});

describe('top-k', () => {
  it('keeps the K most likely tokens, renormalised; ties by token order', () => {
    expect(Array.from(topKRenormalised([0.1, 0.4, 0.3, 0.2], 2))).toEqual([0, 0.4 / 0.7, 0.3 / 0.7, 0]);
    expect(Array.from(topKRenormalised([0.25, 0.25, 0.25, 0.25], 2))).toEqual([0.5, 0.5, 0, 0]);
    expect(Array.from(topKRenormalised([0.1, 0.9], 0))).toEqual([0.1, 0.9]);
  });
  it('top-1 gives the greedy answer with probability 1', () => {
    const policy = randomPolicy('autoregressive', 5);
    const { nextTokenDistribution, greedyAnswer } = readouts(policy);
    const d = answerDistribution((prefix) => nextTokenDistribution(0, [...prefix], 1), policy.shape.maxLen, { limit: 10, topK: 1 });
    expect(d.answers).toHaveLength(1);
    expect(d.answers[0].probability).toBe(1);
    // The greedy read-out gives the answer's tokens without the EOS that ends it.
    const tokens = d.answers[0].tokens;
    expect(tokens.at(-1) === EOS ? tokens.slice(0, -1) : tokens).toEqual(Array.from(greedyAnswer(0)));
  });
});
