/** Sampling (keyed draws, exact frequencies), greedy decoding and the read-outs agree with each other and with the model's probabilities. */
import { describe, expect, it } from 'vitest';
import { drawUnit, Stream } from '../../../src/engine/prng.ts';
import { EOS } from '../../../src/engine/task.ts';
import { createTransformer } from '../../../src/models/transformer/model.ts';
import { decode, greedyAnswer, inverseCdf, nextTokenDistribution, sequenceLogProb } from '../../../src/models/transformer/sampling.ts';
import { randomModel, SHAPES } from './helpers.ts';

const prompts = [
  [2, 6],
  [1, 3, 4, 6],
  [6],
];

/** Every answer of up to maxLen tokens: ended by EOS, or cut at maxLen. */
function allAnswers(V: number, maxLen: number): number[][] {
  const out: number[][] = [];
  const grow = (prefix: number[]) => {
    if (prefix.length === maxLen - 1) {
      for (let j = 0; j < V; j++) out.push([...prefix, j]);
      return;
    }
    out.push([...prefix, EOS]);
    for (let j = 1; j < V; j++) grow([...prefix, j]);
  };
  grow([]);
  return out;
}

describe.each(['tiny', 'tiny rotary'])('sampling, %s shape', (shapeName) => {
  const model = randomModel(SHAPES[shapeName], 4, 1.0);
  const V = model.cfg.vocabOut;
  const opts = { maxLen: 3, temperature: 0.8, seed: 5, stream: Stream.train, step: 9 };

  it('is a pure function of (seed, stream, step, sample, position): the same key gives the same tokens, another key others', () => {
    const a = decode(model, prompts, opts);
    expect(decode(model, prompts, opts)).toEqual(a);
    const many = Array.from({ length: 64 }, (_, i) => prompts[i % 3]);
    const x = decode(model, many, opts);
    expect(decode(model, many, { ...opts, seed: 6 }).tokens).not.toEqual(x.tokens);
    expect(decode(model, many, { ...opts, step: 10 }).tokens).not.toEqual(x.tokens);
    // A row's answer depends on its key and its own prompt, not on the rest of the batch.
    const alone = decode(model, [prompts[1]], opts);
    const first = decode(model, [prompts[1], prompts[0], prompts[2]], opts);
    expect(Array.from(first.tokens.subarray(0, 3))).toEqual(Array.from(alone.tokens));
    const second = decode(model, [prompts[0], prompts[1]], opts);
    expect(Array.from(second.tokens.subarray(3, 6))).toEqual(Array.from(decode(model, [prompts[2], prompts[1]], opts).tokens.subarray(3, 6)));
  });

  it('draws each token by the inverse CDF of π(·|context) at the temperature with the table sampler\'s key', () => {
    const N = 40;
    const rows = Array.from({ length: N }, (_, i) => prompts[i % 3]);
    const got = decode(model, rows, opts);
    for (let n = 0; n < N; n++) {
      const prefix: number[] = [];
      for (let t = 0; t < got.lengths[n]; t++) {
        const probs = nextTokenDistribution(model, rows[n], prefix, opts.temperature);
        const expected = inverseCdf(probs, 0, V, drawUnit(opts.seed, opts.stream, opts.step, n, t));
        expect(got.tokens[n * opts.maxLen + t], `sample ${n} position ${t}`).toBe(expected);
        prefix.push(expected);
      }
      const last = got.tokens[n * opts.maxLen + got.lengths[n] - 1];
      expect(last === EOS || got.lengths[n] === opts.maxLen).toBe(true);
    }
  });

  it('the probabilities of all possible answers sum to 1, and sequenceLogProb is the chain of next-token distributions', () => {
    let total = 0;
    for (const answer of allAnswers(V, 3)) {
      const lp = sequenceLogProb(model, prompts[0], answer);
      let chain = 0;
      for (let t = 0; t < answer.length; t++) chain += Math.log(nextTokenDistribution(model, prompts[0], answer.slice(0, t))[answer[t]]);
      expect(lp).toBeCloseTo(chain, 10);
      total += Math.exp(lp);
    }
    expect(total).toBeCloseTo(1, 10);
  });

  it('sampled answer frequencies match the exact probabilities within binomial tolerance (5σ)', () => {
    const N = 20000;
    const T = opts.temperature;
    const got = decode(model, Array.from({ length: N }, () => prompts[0]), opts);
    const counts = new Map<string, number>();
    for (let n = 0; n < N; n++) {
      const key = Array.from(got.tokens.subarray(n * 3, n * 3 + got.lengths[n])).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let seen = 0;
    for (const answer of allAnswers(V, 3)) {
      let p = 1;
      for (let t = 0; t < answer.length; t++) p *= nextTokenDistribution(model, prompts[0], answer.slice(0, t), T)[answer[t]];
      const c = counts.get(answer.join(',')) ?? 0;
      seen += c;
      expect(Math.abs(c - N * p), `answer ${answer}: ${c} draws, expected ${(N * p).toFixed(1)}`).toBeLessThanOrEqual(5 * Math.sqrt(N * p * (1 - p)) + 1);
    }
    expect(seen).toBe(N); // every draw is one of the enumerated answers
  });

  it('greedy decoding follows the most likely token, and equals greedyAnswer', () => {
    for (const prompt of prompts) {
      const prefix: number[] = [];
      for (let t = 0; t < 3; t++) {
        const probs = nextTokenDistribution(model, prompt, prefix);
        let best = 0;
        for (let j = 1; j < V; j++) if (probs[j] > probs[best]) best = j;
        if (best === EOS) break;
        prefix.push(best);
      }
      expect(greedyAnswer(model, prompt, 3)).toEqual(prefix);
      const g = decode(model, [prompt], { maxLen: 3, greedy: true });
      expect(Array.from(g.tokens.subarray(0, prefix.length))).toEqual(prefix);
    }
  });

  it('samples in float32, the training precision, with the same read-outs to float32 accuracy', () => {
    const f32 = createTransformer(model.cfg, Float32Array.from(model.params));
    const a = decode(f32, prompts, opts);
    expect(a.lengths.every((n) => n >= 1 && n <= 3)).toBe(true);
    expect(sequenceLogProb(f32, prompts[1], [1, 2, EOS])).toBeCloseTo(sequenceLogProb(model, prompts[1], [1, 2, EOS]), 4);
  });

  it('refuses a prompt and max_len beyond the context, naming both', () => {
    expect(() => decode(model, [[1, 2, 3, 4, 6]], { maxLen: 4 })).toThrow(/a prompt of 5 tokens \(with the separator\) and max_len 4 need 8 positions; the model has 6/);
  });
});
