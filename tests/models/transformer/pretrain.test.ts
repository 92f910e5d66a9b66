/** Next-token pretraining: Adam's step, the schedule, and a tiny model learning a task it can generalise on held-out prompts. */
import { describe, expect, it } from 'vitest';
import { transformerConfig } from '../../../src/models/transformer/config.ts';
import { createTransformer } from '../../../src/models/transformer/model.ts';
import { initParams } from '../../../src/models/transformer/params.ts';
import { adamState, adamStep, learningRateAt, pretrain, PRETRAIN_ADAM, type Example } from '../../../src/models/transformer/pretrain.ts';
import { greedyAnswer } from '../../../src/models/transformer/sampling.ts';
import { TransformerVocabulary } from '../../../src/models/transformer/vocab.ts';

describe('pretraining', () => {
  it('Adam\'s first step moves every parameter with a gradient by the learning rate, against the gradient\'s sign', () => {
    const theta = new Float32Array([1, 2, 3, 4]);
    const grad = new Float64Array([0.5, -2, 0, 1e-3]);
    adamStep(theta, grad, adamState(4), PRETRAIN_ADAM, 0.1);
    // m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε).
    expect(theta[0]).toBeCloseTo(0.9, 6);
    expect(theta[1]).toBeCloseTo(2.1, 6);
    expect(theta[2]).toBe(3);
    expect(theta[3]).toBeCloseTo(4 - (0.1 * 1e-3) / (1e-3 + 1e-8), 6);
  });

  it('warms up linearly and decays linearly to 0', () => {
    const opts = { steps: 100, batchSize: 1, seed: 0, warmup: 10, decay: true };
    expect(learningRateAt(5, opts, 1)).toBeCloseTo(0.5 * 0.95, 12);
    expect(learningRateAt(50, opts, 1)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(100, opts, 1)).toBe(0);
    expect(learningRateAt(50, { ...opts, decay: false }, 1)).toBe(1);
  });

  it('learns reversal of 3-letter strings and answers held-out prompts right, deterministically from the seed', () => {
    const letters = ['a', 'b', 'c', 'd'];
    const strings: string[] = [];
    for (const x of letters) for (const y of letters) for (const z of letters) strings.push(x + y + z);
    const vocab = new TransformerVocabulary(letters, strings);
    const examples: Example[] = strings.map((s) => ({ prompt: vocab.encodePrompt(s), answer: vocab.encodeAnswer([...s].reverse().join(''), 4) }));
    // Every 4th string is held out (16 of 64).
    const train = examples.filter((_, i) => i % 4 !== 0);
    const held = strings.filter((_, i) => i % 4 === 0);
    const cfg = transformerConfig({ vocabIn: vocab.vocabIn, vocabOut: vocab.vocabOut, context: 7, layers: 2, dModel: 16, heads: 2 });
    const run = () => {
      const model = createTransformer(cfg, initParams(cfg, 3));
      const losses: number[] = [];
      pretrain(model, train, { steps: 150, batchSize: 32, seed: 3, warmup: 20, decay: true, after: (_, loss) => void losses.push(loss) });
      return { model, losses };
    };
    const { model, losses } = run();
    expect(losses[0]).toBeGreaterThan(1.2); // about ln 5 at init
    expect(losses[losses.length - 1]).toBeLessThan(0.1);
    const right = held.filter((s) => vocab.decodeAnswer(greedyAnswer(model, vocab.encodePrompt(s), 4)) === [...s].reverse().join('')).length;
    expect(right / held.length).toBeGreaterThanOrEqual(0.9);
    expect(run().model.params).toEqual(model.params);
  });
});

describe('what the base learns from, in words', () => {
  it('names the spare prompts, or the demonstrations when none are left or the task comes from files', async () => {
    const { baseCorpusSource } = await import('../../../src/models/transformer/base.ts');
    const { loadConfig } = await import('../../../src/engine/config.ts');
    const { resolveTask } = await import('../../../src/engine/setup.ts');
    const task = (input: Record<string, unknown>) => resolveTask(loadConfig({ task: 'add', policy: { kind: 'transformer' }, ...input }));
    const usual = task({});
    expect(baseCorpusSource(usual)).toBe(`${usual.pretrainCorpus!.length.toLocaleString('en-US')} prompts of the task that are neither trained on nor held out`);
    // Every prompt trained on: the base can only learn from the train prompts' demonstrations.
    const all = task({ eval_prompts: 0, num_prompts: 4096 });
    expect(all.pretrainCorpus).toEqual([]);
    expect(baseCorpusSource(all)).toMatch(/^the task's [\d,]+ demonstrations \(no prompts are left over for a corpus of its own, so it learns from the train prompts' demonstrations, errors included\)$/);
    expect(baseCorpusSource({ ...all, pretrainCorpus: undefined })).toMatch(/a task from files has no prompts of its own for pretraining/);
  });
});
