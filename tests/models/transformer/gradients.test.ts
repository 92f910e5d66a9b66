/**
 * Every parameter group's gradient, for the three objectives' kinds of
 * upstream (per-token ∂L/∂log π, per-position ∂L/∂logits, sequence-level
 * log-ratio differences), against float64 central differences, on shapes
 * that are and are not multiples of anything, with learned and rotary positions.
 */
import { describe, expect, it } from 'vitest';
import { paramLayout } from '../../../src/models/transformer/params.ts';
import { transformerConfig } from '../../../src/models/transformer/config.ts';
import { dpoObjective, randomPairBatch, finiteDifferenceCheck, randomBatch, randomModel, rftObjective, SHAPES, sftObjective, type Objective } from './helpers.ts';

/** Central differences at h = 1e-5 in float64 agree to ~1e-7 relative; a wrong or missing term shows as ≥ 1e-3. */
const MAX_REL_ERROR = 1e-5;
const MAX_ABS_ERROR = 1e-8;

describe.each(Object.entries(SHAPES))('transformer gradients, %s shape', (_, shape) => {
  const model = randomModel(shape, 1);
  const ref = randomModel(shape, 2);
  const cfg = model.cfg;
  const objectives: Objective[] = [
    sftObjective(randomBatch(cfg, 3, 10)),
    rftObjective(randomBatch(cfg, 4, 11), ref, [1.3, -0.7, 0.4, -1.1]),
    // Pairs share their prompt: the chosen and rejected rows differ in the answer only.
    dpoObjective(randomPairBatch(cfg, 2, 12), ref),
  ];
  it.each(objectives.map((o) => [o.name, o] as const))('%s: every parameter group matches central differences', (_name, objective) => {
    const groups = finiteDifferenceCheck(model, objective);
    const layout = paramLayout(transformerConfig(shape));
    expect(groups.map((g) => g.name)).toEqual(layout.list.map((t) => t.name));
    for (const g of groups) {
      if (g.entries === 0) continue; // wpe with rotary positions
      expect(g.checked, `${g.name}: the check must see real gradient entries`).toBeGreaterThan(0);
      expect(g.maxRelError, `${g.name}: max relative error`).toBeLessThan(MAX_REL_ERROR);
      expect(g.maxAbsError, `${g.name}: max absolute error`).toBeLessThan(MAX_ABS_ERROR);
    }
  });
});

describe('the DPO batch is made of pairs', () => {
  it("pair i's chosen and rejected rows share the prompt and differ in the answer", () => {
    for (const shape of Object.values(SHAPES)) {
      const cfg = transformerConfig(shape);
      const seq = randomPairBatch(cfg, 3, 12);
      for (let i = 0; i < 3; i++) {
        const row = (b: number) => Array.from(seq.tokens.subarray(b * seq.T, b * seq.T + seq.answerStart[b] + 1));
        const ans = (b: number) => Array.from(seq.targets.subarray(b * seq.T + seq.answerStart[b], b * seq.T + seq.answerStart[b] + seq.answerLength[b]));
        expect(row(3 + i)).toEqual(row(i));
        expect(ans(3 + i)).not.toEqual(ans(i));
      }
    }
  });
});
