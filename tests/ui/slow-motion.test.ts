/**
 * The slow-motion view's numbers (src/worker/slow-motion.ts) against the engine's own update for the same
 * step: the policies read from the backend before and after it, the heatmap the lane card shows, and
 * formulas worked out here independently (group mean and std, σ(−β·margin), Adam's moment update).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import { loadConfig, type Config } from '../../src/engine/config.ts';
import { readouts } from '../../src/engine/policies/index.ts';
import { positionMarginals, type PolicyState } from '../../src/engine/policy.ts';
import { resolveTask } from '../../src/engine/setup.ts';
import { Vocabulary } from '../../src/engine/task.ts';
import { createGrader } from '../../src/graders/index.ts';
import { answerTokens } from '../../src/lessons/gradient-anatomy.ts';
import { answerLogProb } from '../../src/worker/policy-view.ts';
import { optimizerShare, promptParameters } from '../../src/worker/slow-motion.ts';
import { Trainer } from '../../src/worker/trainer.ts';
import type { LaneId } from '../../src/worker/protocol.ts';
import type { SlowMotionReport, TokenMove } from '../../src/worker/view-protocol.ts';

const STD_EPS = 1e-4;

async function trainer(over: Record<string, unknown> = {}): Promise<{ t: Trainer; config: Config }> {
  const config = loadConfig({ task: 'reverse', seed: 0, steps: 300, batch_prompts: 8, num_generations: 32, ...over });
  const t = new Trainer({
    loadTask: resolveTask,
    createGrader,
    chooseBackend: async (_pref, state) => ({ backend: new CpuBackend(state), badge: 'CPU — test' }),
  });
  await t.build({ config, lanes: { rft: true, dpo: true, sft: true } });
  return { t, config };
}

/** One step of every lane, taken apart, with the states the backends held on either side and the card's heatmaps. */
async function explained(t: Trainer, prompt: number) {
  const before = await t.readPolicies();
  const heatBefore = await t.snapshot('rft', prompt);
  await t.stepAll();
  const reports = await t.explainLastStep(before, prompt);
  const after = await t.readPolicies();
  return { reports, before, after, heatBefore };
}

/** Each token move is the read-out of the real policy before and after, in context. */
function expectMovesFromPolicies(moves: TokenMove[], answer: string, prompt: number, before: PolicyState, after: PolicyState, vocab: Vocabulary) {
  const tokens = answerTokens(vocab, answer, before.shape.maxLen);
  expect(moves.map((m) => m.token)).toEqual(tokens.map((tk) => vocab.label(tk)));
  const read = (s: PolicyState) => readouts({ shape: s.shape, params: s.logits, ref: s.ref });
  tokens.forEach((tk, i) => {
    expect(moves[i].before).toBe(read(before).nextTokenDistribution(prompt, tokens.slice(0, i))[tk]);
    expect(moves[i].after).toBe(read(after).nextTokenDistribution(prompt, tokens.slice(0, i))[tk]);
  });
}

describe('slow motion of one RFT step', () => {
  it('shows the group of the selected prompt: scores, mean, std and advantages of the step, and the heatmap after it', async () => {
    const { t, config } = await trainer();
    const task = resolveTask(config);
    const vocab = new Vocabulary(task.alphabet);
    const prompt = 3;
    for (let i = 0; i < 200; i++) {
      const { reports, before, after, heatBefore } = await explained(t, prompt);
      const r = reports.rft!;
      const rft = r.rft!;
      expect(r.prompt).toBe(prompt); // reverse asks all 8 prompts every step
      expect(r.selectedPrompt).toBe(true);
      expect(rft.answers).toHaveLength(32);
      const scores = rft.answers.map((a) => a.score);
      // The heatmaps are the lane card's: before = what it showed before the step, after = what it shows now.
      expect(r.heatmapBefore).toEqual(heatBefore!.heatmap);
      expect(r.heatmapAfter).toEqual((await t.snapshot('rft', prompt))!.heatmap);
      const sb = before.get('rft')!.state;
      const sa = after.get('rft')!.state;
      expect(r.heatmapAfter).toEqual(positionMarginals(sa.logits, sa.shape, prompt).map((row) => Array.from(row)));
      if (new Set(scores).size < 2) {
        expect(rft.answers.every((a) => a.advantage === 0)).toBe(true);
        continue;
      }
      const mean = scores.reduce((a, b) => a + b, 0) / 32;
      const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / 31);
      expect(rft.mean).toBeCloseTo(mean, 6);
      expect(rft.std).toBeCloseTo(std, 6);
      expect(rft.divisor).toBeCloseTo(std + STD_EPS, 6);
      for (const a of rft.answers) expect(a.advantage).toBeCloseTo((a.score - mean) / (std + STD_EPS), 5);
      // Probability moves are the real policies' after − before, token by token.
      for (const a of rft.answers.slice(0, 6)) expectMovesFromPolicies(a.tokens, a.text, prompt, sb, sa, vocab);
      // A right answer (positive advantage) became likelier as a whole; its log-probability is the tokens' sum.
      const right = rft.answers.find((a) => a.advantage > 0 && Array.from(a.text).length < sb.shape.maxLen)!;
      const logAfter = right.tokens.reduce((s, tk) => s + Math.log(tk.after), 0);
      expect(logAfter).toBeCloseTo(answerLogProb(sa.logits, sa.shape, prompt, right.text, vocab), 6);
      expect(logAfter).toBeGreaterThan(right.tokens.reduce((s, tk) => s + Math.log(tk.before), 0));
      expect(r.optimizer.promptGradNorm).toBeGreaterThan(0);
      return;
    }
    throw new Error('the selected prompt never had mixed scores in 200 steps');
  });

  it('explains a move with no gradient: Adam’s momentum, recovered from the optimizer state, accounts for all of it', async () => {
    const { t } = await trainer();
    for (let i = 0; i < 300; i++) {
      const { reports } = await explained(t, 0);
      const r = reports.rft!;
      if (r.step < 3 || r.rft!.answers.some((a) => a.advantage !== 0)) continue;
      const moved = r.heatmapAfter.some((row, p) => row.some((x, j) => x !== r.heatmapBefore[p][j]));
      if (!moved) continue;
      // β = 0 and no entropy bonus: a group with no signal gives its prompt's cells no gradient at all this step…
      expect(r.optimizer.klBeta).toBe(0);
      expect(r.optimizer.promptGradNorm).toBeLessThan(1e-6);
      // …so their whole move is momentum.
      expect(r.optimizer.fromMomentum).toBeGreaterThan(0);
      expect(r.optimizer.fromGradient).toBeLessThan(1e-3 * r.optimizer.fromMomentum);
      return;
    }
    throw new Error('no step with a silent group that still moved in 300 steps');
  });

  it('splits a parameter change into gradient and momentum exactly as Adam computes it', () => {
    const opt = loadConfig({}).optimizer;
    const n = 6;
    const before = { logits: Float32Array.from([0, 1, 2, 3, 4, 5]), adamM: Float32Array.from([0.2, -0.1, 0, 0.05, 0, 0]) };
    const g = [0.5, 0, -0.3, 0, 0, 0.1];
    const v = [0.01, 0.01, 0.01, 0.01, 0.01, 0.01];
    const after = { logits: before.logits.slice(), adamM: new Float32Array(n) };
    const fromG: number[] = [];
    const fromM: number[] = [];
    for (let i = 0; i < n; i++) {
      const m = opt.adam_beta1 * before.adamM[i] + (1 - opt.adam_beta1) * g[i];
      after.adamM[i] = m;
      const step = (opt.learning_rate * m) / Math.sqrt(v[i]);
      after.logits[i] -= step;
      fromG.push(((1 - opt.adam_beta1) * g[i] * opt.learning_rate) / Math.sqrt(v[i]));
      fromM.push((opt.adam_beta1 * before.adamM[i] * opt.learning_rate) / Math.sqrt(v[i]));
    }
    const share = optimizerShare(before, after, opt, [0, 4]);
    const norm = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
    expect(share.promptGradNorm).toBeCloseTo(norm(g.slice(0, 4)), 5);
    expect(share.gradNorm).toBeCloseTo(norm(g), 5);
    expect(share.fromGradient).toBeCloseTo(norm(fromG.slice(0, 4)), 4);
    expect(share.fromMomentum).toBeCloseTo(norm(fromM.slice(0, 4)), 4);
  });

  it('a prompt’s parameters are its own rows, for both table kinds', () => {
    const tab = { kind: 'tabular' as const, prompts: 3, maxLen: 4, vocab: 5 };
    expect(promptParameters(tab, 1, 60)).toEqual([20, 40]);
    const ar = { kind: 'autoregressive' as const, prompts: 3, maxLen: 4, vocab: 5 };
    expect(promptParameters(ar, 2, 300)).toEqual([200, 300]);
  });
});

describe('slow motion of one DPO and one SFT step', () => {
  it('DPO: the pair’s log-ratios to the reference, its margin and σ(−β·margin), before the step; then the real moves', async () => {
    const { t, config } = await trainer();
    const task = resolveTask(config);
    const vocab = new Vocabulary(task.alphabet);
    for (let i = 0; i < 5; i++) await t.stepAll();
    const prompt = task.pairs[(5 * 8) % task.pairs.length].prompt; // step 6 trains on pairs 40.. (cycling)
    const { reports, before, after } = await explained(t, prompt);
    const r = reports.dpo!;
    const d = r.dpo!;
    expect(r.step).toBe(6);
    expect(r.prompt).toBe(prompt);
    const sb = before.get('dpo')!.state;
    const ratio = (answer: string) => answerLogProb(sb.logits, sb.shape, prompt, answer, vocab) - answerLogProb(sb.ref, sb.shape, prompt, answer, vocab);
    expect(d.chosenLogRatio).toBeCloseTo(ratio(d.chosen), 6);
    expect(d.rejectedLogRatio).toBeCloseTo(ratio(d.rejected), 6);
    expect(d.margin).toBeCloseTo(ratio(d.chosen) - ratio(d.rejected), 6);
    expect(d.weight).toBeCloseTo(1 / (1 + Math.exp(config.dpo.beta * d.margin)), 6);
    expect(d.beta).toBe(config.dpo.beta);
    const sa = after.get('dpo')!.state;
    expectMovesFromPolicies(d.chosenTokens, d.chosen, prompt, sb, sa, vocab);
    expectMovesFromPolicies(d.rejectedTokens, d.rejected, prompt, sb, sa, vocab);
    expect(r.heatmapAfter).toEqual((await t.snapshot('dpo', prompt))!.heatmap);
    // The chosen answer gained on the rejected one.
    const logp = (ms: TokenMove[], k: 'before' | 'after') => ms.reduce((s, m) => s + Math.log(m[k]), 0);
    expect(logp(d.chosenTokens, 'after') - logp(d.rejectedTokens, 'after')).toBeGreaterThan(logp(d.chosenTokens, 'before') - logp(d.rejectedTokens, 'before'));
  });

  it('SFT: the demonstration’s tokens as targets, each pulled up by the step', async () => {
    const { t, config } = await trainer({ optimizer: { name: 'sgd', learning_rate: 0.5 } });
    const task = resolveTask(config);
    const vocab = new Vocabulary(task.alphabet);
    const prompt = task.demos[0].prompt;
    const { reports, before, after } = await explained(t, prompt);
    const r = reports.sft!;
    expect(r.sft!.answer).toBe(task.demos[0].answer);
    const sb = before.get('sft')!.state;
    const sa = after.get('sft')!.state;
    expectMovesFromPolicies(r.sft!.tokens, r.sft!.answer, prompt, sb, sa, vocab);
    for (const m of r.sft!.tokens) expect(m.after).toBeGreaterThan(m.before);
    // SGD: no momentum; the whole move is this step's gradient, −Δθ / learning rate.
    expect(r.optimizer.fromMomentum).toBe(0);
    expect(r.optimizer.fromGradient).toBeGreaterThan(0);
    expect(r.optimizer.fromGradient).toBeCloseTo(0.5 * r.optimizer.promptGradNorm, 5);
  });

  it('leaves out a lane that did not take the step, and explains the first example when none answers the selected prompt', async () => {
    const { t } = await trainer({ task: 'add' }); // 16 prompts, 8 per step: step 1 asks prompts 0–7
    const before = await t.readPolicies();
    expect(await t.explainLastStep(before, 0)).toEqual({});
    const { reports } = await explained(t, 12);
    for (const lane of ['rft', 'sft'] as LaneId[]) {
      const r = reports[lane] as SlowMotionReport;
      expect(r.selectedPrompt).toBe(false);
      expect(r.prompt).not.toBe(12);
    }
  });
});
