/**
 * One training step explained, for lesson 2's "gradient anatomy" view: each
 * example's weight in the update (src/lessons/gradient-anatomy.ts, the engine's
 * own formulas) and how the probabilities of its tokens moved between the
 * policy before and after the step. Computed here in the worker, next to the
 * policies, so the page receives a few hundred numbers instead of two logits tables.
 */
import type { Config } from '../engine/config.ts';
import type { StepView } from '../engine/lane.ts';
import type { PolicyState } from '../engine/policy.ts';
import type { Task } from '../engine/task.ts';
import { stepAnatomy, tokenProbabilityChanges } from '../lessons/gradient-anatomy.ts';
import type { AnatomyRow, LaneId, StepAnatomyReport } from './protocol.ts';

/** Rows shown per lane: one RFT group can be 32 answers; a table longer than a screen teaches less. */
export const ANATOMY_ROWS = 16;

export function explainStep(
  lane: LaneId,
  step: number,
  config: Config,
  view: StepView,
  before: PolicyState,
  after: PolicyState,
  task: Pick<Task, 'alphabet' | 'items'>,
): StepAnatomyReport {
  const anatomy = stepAnatomy({ ...config, objective: lane }, view, before, task);
  const moved = (prompt: number, answer: string) => tokenProbabilityChanges(before.logits, after.logits, before.shape, task, prompt, answer);
  const promptText = (prompt: number) => task.items[prompt]?.prompt ?? `#${prompt}`;
  let rows: AnatomyRow[];
  let weightMeaning: string;
  if (anatomy.objective === 'rft') {
    // The first prompt's group: advantages only make sense against the siblings they were compared with.
    const firstPrompt = anatomy.samples[0]?.prompt;
    const group = anatomy.samples.filter((s) => s.prompt === firstPrompt);
    rows = group.slice(0, ANATOMY_ROWS).map((s) => ({
      prompt: promptText(s.prompt),
      text: s.text,
      score: s.score,
      weight: s.advantage,
      push: s.push,
      tokens: moved(s.prompt, s.text),
    }));
    weightMeaning = `advantage (score compared with the other ${group.length - 1} answers to the same prompt)`;
  } else if (anatomy.objective === 'dpo') {
    rows = anatomy.pairs.slice(0, ANATOMY_ROWS).map((p) => ({
      prompt: promptText(p.prompt),
      text: p.chosen,
      rejected: p.rejected,
      score: null,
      margin: p.margin,
      weight: p.weight,
      push: p.weight > 0 ? 'up' : 'none',
      tokens: moved(p.prompt, p.chosen),
      rejectedTokens: moved(p.prompt, p.rejected),
    }));
    weightMeaning = `σ(−β·margin) per pair, β = ${config.dpo.beta}: chosen pushed up, rejected down, by this much`;
  } else {
    rows = anatomy.demos.slice(0, ANATOMY_ROWS).map((d) => ({
      prompt: promptText(d.prompt),
      text: d.answer,
      score: null,
      weight: 1,
      push: 'up',
      tokens: moved(d.prompt, d.answer),
    }));
    weightMeaning = '1 per token of every demonstration, right or wrong';
  }
  return { lane, step, weightMeaning, rows };
}
