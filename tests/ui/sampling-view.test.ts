/**
 * The sampling view's numbers (src/worker/sampling-view.ts): whole-answer probabilities against brute-force
 * enumeration of every token path of a small policy, fresh samples against those probabilities within a
 * binomial tolerance, the sampler against the engine's own, and previews that leave the run as it was.
 */
import { describe, expect, it } from 'vitest';
import { topKRenormalised } from '../../src/engine/answer-distribution.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { loadConfig } from '../../src/engine/config.ts';
import { readouts, type PolicyParameters } from '../../src/engine/policies/index.ts';
import { newPolicyState, type PolicyShape } from '../../src/engine/policy.ts';
import { Stream } from '../../src/engine/prng.ts';
import { resolveTask } from '../../src/engine/setup.ts';
import { EOS, Vocabulary } from '../../src/engine/task.ts';
import { createGrader } from '../../src/graders/index.ts';
import { drawAnswers, nextTokenCache, samplingView } from '../../src/worker/sampling-view.ts';
import { Trainer } from '../../src/worker/trainer.ts';
import type { SamplingRequest } from '../../src/worker/view-protocol.ts';

const vocab = new Vocabulary(['a', 'b', 'c']); // EOS, a, b, c

function randomPolicy(kind: PolicyShape['kind'], seed: number): PolicyParameters {
  const shape: PolicyShape = { kind, prompts: 2, maxLen: 3, vocab: 4 };
  const rows = kind === 'tabular' ? 2 * 3 : 2 * 3 * 4;
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 4 - 2;
  const logits = Float32Array.from({ length: rows * 4 }, rand);
  return { shape, params: logits, ref: logits };
}

/** Every answer the sampler can produce, with its probability: each token path, independently of the best-first search. */
function enumerate(policy: PolicyParameters, prompt: number, T: number, topK: number): Map<string, number> {
  const out = new Map<string, number>();
  const r = readouts(policy);
  const walk = (prefix: number[], p: number) => {
    const q = topKRenormalised(r.nextTokenDistribution(prompt, prefix, T), topK);
    q.forEach((qj, j) => {
      if (qj === 0) return;
      const next = [...prefix, j];
      if (j === EOS || next.length === policy.shape.maxLen) {
        const text = next.filter((t) => t !== EOS).map((t) => vocab.label(t)).join('');
        out.set(text, (out.get(text) ?? 0) + p * qj);
      } else walk(next, p * qj);
    });
  };
  walk([], 1);
  return out;
}

const req = (over: Partial<SamplingRequest> = {}): SamplingRequest => ({ lane: 'rft', prompt: 1, temperature: 1, topK: 0, samples: 0, draw: 0, limit: 8, ...over });

describe('the sampling view’s whole-answer probabilities', () => {
  for (const kind of ['tabular', 'autoregressive'] as const) {
    for (const [T, topK] of [
      [1, 0],
      [0.5, 0],
      [2.5, 2],
    ] as const) {
      it(`are the exact enumeration's likeliest answers (${kind}, temperature ${T}, top-k ${topK || 'all'})`, () => {
        const policy = randomPolicy(kind, 7);
        const exact = [...enumerate(policy, 1, T, topK)].sort((a, b) => b[1] - a[1]);
        expect(exact.reduce((s, [, p]) => s + p, 0)).toBeCloseTo(1, 12);
        const view = samplingView(policy, vocab, req({ temperature: T, topK }), 0, 0);
        // Top-k can leave fewer than 8 answers possible at all.
        expect(view.answers).toHaveLength(Math.min(8, exact.length));
        view.answers.forEach((a, i) => {
          expect(a.probability).toBeCloseTo(exact.find(([text]) => text === a.text)![1], 12);
          // Best first; ties may come in either order.
          expect(a.probability).toBeCloseTo(exact[i][1], 12);
        });
        expect(view.otherProbability).toBeCloseTo(1 - exact.slice(0, 8).reduce((s, [, p]) => s + p, 0), 12);
      });
    }
  }

  it('fresh samples land on each answer as often as its probability says, within a binomial tolerance', () => {
    for (const [T, topK] of [
      [1, 0],
      [0.7, 3],
    ] as const) {
      const policy = randomPolicy('autoregressive', 11);
      const n = 4000;
      const view = samplingView(policy, vocab, req({ temperature: T, topK, samples: n, draw: 3 }), 5, 0);
      expect(view.samples).toBe(n);
      expect(view.answers.reduce((s, a) => s + a.count, 0) + view.otherCount).toBe(n);
      for (const a of [...view.answers, { text: 'others', probability: view.otherProbability, count: view.otherCount }]) {
        const sd = Math.sqrt(n * a.probability * (1 - a.probability));
        expect(Math.abs(a.count - n * a.probability), `${a.text}: ${a.count} of ${n} at p = ${a.probability}`).toBeLessThanOrEqual(4.5 * sd + 1);
      }
    }
  });

  it('draws as the engine’s sampler does: on the training stream at top-k 0 they are the run’s own samples', () => {
    const policy = randomPolicy('autoregressive', 3);
    const state = newPolicyState(policy.shape, policy.params.slice());
    const backend = new CpuBackend(state);
    const promptOf = Int32Array.from({ length: 64 }, () => 1);
    return backend.sample(9, Stream.train, promptOf, 0.8, 42).then((batch) => {
      const ours = drawAnswers(nextTokenCache(policy, 1, 0.8, 0), 3, 64, { seed: 42, stream: Stream.train, draw: 9 });
      ours.forEach((tokens, n) => expect(tokens).toEqual(Array.from(batch.tokens.subarray(n * 3, n * 3 + batch.lengths[n]))));
    });
  });

  it('a temperature drag costs a few milliseconds on the default task', async () => {
    const config = loadConfig({ task: 'reverse' });
    const t = new Trainer({ loadTask: resolveTask, createGrader, chooseBackend: async (_p, s) => ({ backend: new CpuBackend(s), badge: 'CPU' }) });
    await t.build({ config, lanes: { rft: true, dpo: true, sft: true } });
    const times: number[] = [];
    for (let T = 0.2; T < 3; T += 0.2) times.push((await t.sampleAnswers(req({ temperature: T, samples: 200, limit: 10 })))!.computeMs);
    times.sort((a, b) => a - b);
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(20);
  });
});

describe('previewing leaves the run as it was', () => {
  it('a run with previews between its steps trains exactly as one without', async () => {
    const config = loadConfig({ task: 'reverse', seed: 2, steps: 10 });
    const make = async () => {
      const t = new Trainer({ loadTask: resolveTask, createGrader, chooseBackend: async (_p, s) => ({ backend: new CpuBackend(s), badge: 'CPU' }) });
      await t.build({ config, lanes: { rft: true, dpo: true, sft: true } });
      return t;
    };
    const [quiet, previewed] = [await make(), await make()];
    const a: unknown[] = [];
    const b: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      a.push((await quiet.stepAll()).records);
      for (const lane of ['rft', 'dpo', 'sft'] as const) await previewed.sampleAnswers(req({ lane, temperature: 0.3 + i, topK: i % 3, samples: 300, draw: i }));
      b.push((await previewed.stepAll()).records);
    }
    expect(b).toEqual(a);
    // The preview follows the run: after a step it reads the new policy.
    const view = (await previewed.sampleAnswers(req({ samples: 0 })))!;
    expect(view.step).toBe(6);
    const policy = await (await previewed.readPolicies()).get('rft')!.state;
    const exact = [...enumerate({ shape: policy.shape, params: policy.logits, ref: policy.ref }, 1, 1, 0)].sort((x, y) => y[1] - x[1]);
    expect(view.answers[0].probability).toBeCloseTo(exact[0][1], 12);
  });
});
