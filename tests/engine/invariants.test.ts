/** Closed forms at a uniform start, and exact metrics against a direct computation. */
import { describe, expect, it } from 'vitest';
import { Stream } from '../../src/engine/prng.ts';
import { makeLane } from '../../src/engine/setup.ts';
import { logSoftmax, forEachToken } from './reference.ts';
import { expectClose, fixture, promptLayout, syntheticRewards } from './helpers.ts';

const kinds = ['tabular', 'autoregressive'] as const;

describe.each(kinds)('uniform start (%s)', (kind) => {
  for (const task of ['reverse', 'add']) {
    it(`${task}: entropy = ln V, kl = 0 for every objective; SFT loss = ln V; DPO sigmoid = ln 2`, async () => {
      for (const objective of ['rft', 'dpo', 'sft'] as const) {
        const { cfg, task: t, state } = fixture({ task, objective, policy: { kind } });
        const lane = makeLane(cfg, { task: t, state });
        const out = await lane.step();
        if (!out.ok) throw new Error(out.message);
        const V = t.alphabet.length + 1;
        expectClose(out.metrics.entropy, Math.log(V), 1e-12, 1e-12, `${objective} entropy`);
        expect(out.metrics.kl).toBe(0);
        if (objective === 'sft') expectClose(out.metrics.loss, Math.log(V), 1e-12, 1e-12, 'SFT loss');
        if (objective === 'dpo') {
          expectClose(out.metrics.loss, Math.LN2, 1e-12, 1e-12, 'DPO sigmoid loss');
          expect(out.metrics['rewards/margins']).toBe(0);
          expect(out.metrics['rewards/accuracies']).toBe(0);
        }
      }
    });
  }

  it.each([0.1, 0.5, 2])('IPO loss = (1/(2β))² at β = %s; hinge = 1; robust = ln 2', async (beta) => {
    for (const [loss_type, expected] of [['ipo', (1 / (2 * beta)) ** 2], ['hinge', 1], ['robust', Math.LN2]] as const) {
      const { cfg, task, state } = fixture({ task: 'reverse', objective: 'dpo', policy: { kind }, dpo: { loss_type, beta, label_smoothing: loss_type === 'robust' ? 0.2 : 0 } });
      const out = await makeLane(cfg, { task, state }).step();
      if (!out.ok) throw new Error(out.message);
      expectClose(out.metrics.loss, expected, 1e-12, 1e-12, `${loss_type} loss`);
    }
  });
});

describe.each(kinds)('exact KL and entropy (%s)', (kind) => {
  it('equal the mean over sampled answer tokens of KL(π‖π_ref) and H(π), computed directly', () => {
    const { cfg, state, backend } = fixture({ task: 'reverse', policy: { kind, init_scale: 1 }, optimizer: { name: 'sgd', learning_rate: 1e-9 }, num_generations: 4 });
    const moved = { ...state, logits: state.logits.map((x, i) => x + Math.sin(3 * i)) };
    backend.writeState(moved);
    const T = 0.8;
    const samples = backend.sampleSync(1, Stream.train, promptLayout(8, 8, 4), T, 3);
    const stats = backend.updateSync(1, { objective: 'rft', samples, rewards: syntheticRewards(samples.count, 4) }, { ...cfg, temperature: T });
    let kl = 0, h = 0, count = 0;
    for (let n = 0; n < samples.count; n++) {
      forEachToken(state.shape, samples, n, (row) => {
        const lp = logSoftmax(moved.logits, row, state.shape.vocab, T);
        const lr = logSoftmax(state.ref, row, state.shape.vocab, T);
        lp.forEach((x, j) => {
          kl += Math.exp(x) * (x - lr[j]);
          h -= Math.exp(x) * x;
        });
        count++;
      });
    }
    expectClose(stats.kl, kl / count, 1e-9, 1e-12, 'kl');
    expectClose(stats.entropy, h / count, 1e-9, 1e-12, 'entropy');
  });
});
