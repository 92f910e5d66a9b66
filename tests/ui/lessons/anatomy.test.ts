/** The worker's gradient anatomy (lesson 2) checked against independent computations from the same step's numbers. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/engine/cpu-backend.ts';
import { loadConfig } from '../../../src/engine/config.ts';
import { resolveTask } from '../../../src/engine/setup.ts';
import { Vocabulary } from '../../../src/engine/task.ts';
import { createGrader } from '../../../src/graders/index.ts';
import { answerLogProb } from '../../../src/worker/policy-view.ts';
import { Trainer } from '../../../src/worker/trainer.ts';

const config = loadConfig({ task: 'reverse', seed: 0, steps: 300, batch_prompts: 8, num_generations: 32 });

async function trainer(): Promise<Trainer> {
  const t = new Trainer({
    loadTask: resolveTask,
    createGrader,
    chooseBackend: async (_pref, state) => ({ backend: new CpuBackend(state), badge: 'CPU — test' }),
  });
  await t.build({ config, lanes: { rft: true, dpo: true, sft: true } });
  return t;
}

describe('gradient anatomy of one step (worker)', () => {
  it('RFT rows carry group-normalised advantages of their scores, and token probabilities of both policies', async () => {
    const t = await trainer();
    const task = resolveTask(config);
    const vocab = new Vocabulary(task.alphabet);
    // Train until the first prompt's group disagrees (some right, some wrong): only then are advantages non-zero.
    for (let i = 0; i < 200; i++) {
      const before = await t.readPolicies();
      await t.stepAll();
      const report = (await t.explainLastStep(before)).rft!;
      expect(report.rows).toHaveLength(16);
      const scores = report.rows.map((r) => r.score!);
      if (new Set(scores).size < 2) {
        // Equal scores, equal advantages (zero when the hidden half of the group agrees too).
        for (const r of report.rows) expect(r.weight).toBe(report.rows[0].weight);
        continue;
      }
      // The table shows 16 of the group's 32 answers; rebuild the advantage from the whole group's mean and std.
      // Independent check on what is visible: advantages are an increasing affine map of scores (same group, same mean, same scale).
      const [a, b] = [report.rows.find((r) => r.score === 1)!, report.rows.find((r) => r.score === 0)!];
      expect(a && b, 'a right and a wrong answer among the visible rows').toBeTruthy();
      const scale = a.weight - b.weight;
      for (const r of report.rows) expect(r.weight).toBeCloseTo(b.weight + scale * r.score!, 6);
      expect(scale).toBeGreaterThan(0);
      expect(a.push).toBe('up');
      expect(b.push).toBe('down');
      // With k of 32 right (sample std), a right answer's advantage is (1 − k/32)/std: solve for k and check it is a count.
      const k = 32 * (1 - a.weight / scale);
      const std = Math.sqrt((k * (32 - k)) / 32 / 31);
      expect(scale).toBeCloseTo(1 / (std + 1e-4), 2);
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-3);
      // Token probabilities: their product is the answer's probability under each policy (policy-view computes it its own way).
      const prompt = task.items.findIndex((it) => it.prompt === report.rows[0].prompt);
      const after = await t.readPolicies();
      // policy-view's answerLogProb assumes an EOS after the answer, so compare on answers shorter than max_len.
      const withEos = report.rows.filter((r) => Array.from(r.text).length < before.get('rft')!.state.shape.maxLen).slice(0, 4);
      expect(withEos.length).toBeGreaterThan(0);
      for (const r of withEos) {
        const logBefore = r.tokens.reduce((s, tk) => s + Math.log(tk.before), 0);
        const logAfter = r.tokens.reduce((s, tk) => s + Math.log(tk.after), 0);
        const st = before.get('rft')!.state;
        expect(logBefore).toBeCloseTo(answerLogProb(st.logits, st.shape, prompt, r.text, vocab), 5);
        const sa = after.get('rft')!.state;
        expect(logAfter).toBeCloseTo(answerLogProb(sa.logits, sa.shape, prompt, r.text, vocab), 5);
      }
      return;
    }
    throw new Error('the first group never had mixed scores in 200 steps');
  });

  it('DPO rows weigh each pair by σ(−β·margin) of the policy before the step; SFT rows weigh 1', async () => {
    const t = await trainer();
    const task = resolveTask(config);
    const vocab = new Vocabulary(task.alphabet);
    for (let i = 0; i < 5; i++) await t.stepAll();
    const before = await t.readPolicies();
    await t.stepAll();
    const reports = await t.explainLastStep(before);
    const st = before.get('dpo')!.state;
    const dpo = reports.dpo!;
    expect(dpo.rows.length).toBeGreaterThan(0);
    expect(dpo.step).toBe(6);
    for (const r of dpo.rows) {
      const prompt = task.items.findIndex((it) => it.prompt === r.prompt);
      const ratio = (answer: string) => answerLogProb(st.logits, st.shape, prompt, answer, vocab) - answerLogProb(st.ref, st.shape, prompt, answer, vocab);
      const margin = ratio(r.text) - ratio(r.rejected!);
      expect(r.margin).toBeCloseTo(margin, 5);
      expect(r.weight).toBeCloseTo(1 / (1 + Math.exp(config.dpo.beta * margin)), 6);
      expect(r.rejectedTokens!.length).toBe(Math.min(Array.from(r.rejected!).length + 1, st.shape.maxLen));
    }
    const sft = reports.sft!;
    expect(sft.rows.length).toBeGreaterThan(0);
    for (const r of sft.rows) expect(r).toMatchObject({ weight: 1, push: 'up', score: null });
    expect(sft.weightMeaning).toMatch(/1 per token/);
  });

  it('leaves out a lane that did not take the step', async () => {
    const t = await trainer();
    const before = await t.readPolicies();
    const reports = await t.explainLastStep(before); // no step taken
    expect(reports).toEqual({});
  });
});
