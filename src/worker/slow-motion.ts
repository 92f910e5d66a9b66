/**
 * One real update of one lane, taken apart for the "step slowly" view (lane
 * cards and lesson 2): the step's own samples, scores and weights
 * (src/lessons/gradient-anatomy.ts, the engine's formulas), and the policy of
 * one prompt before and after the step, read from the backend on either side
 * of it. Computed here, next to the policies, so the page receives a few
 * hundred numbers instead of two logits tables and the optimizer's moments.
 *
 * Where the move came from is read off the optimizer's own state: Adam keeps
 * m ← β₁·m + (1 − β₁)·g, so the step's gradient is g = (m_after − β₁·m_before) / (1 − β₁),
 * and each parameter's change splits exactly into the part β₁·m_before made
 * (momentum: earlier steps' gradients) and the part (1 − β₁)·g made. A cell
 * that moves while its gradient is 0 is then explained, not a mystery.
 */
import type { Config } from '../engine/config.ts';
import type { StepView } from '../engine/lane.ts';
import { meanOf, reinforceBaseline, stdOf } from '../engine/objectives/advantages.ts';
import { STD_EPS } from '../engine/objectives/constants.ts';
import { positionMarginals, type PolicyShape, type PolicyState } from '../engine/policy.ts';
import { rowIndex } from '../engine/policies/table.ts';
import type { Task } from '../engine/task.ts';
import { dpoWeights, rftWeights, tokenProbabilityChanges } from '../lessons/gradient-anatomy.ts';
import type { LaneId } from './protocol.ts';
import type { SlowMotionReport, TokenMove } from './view-protocol.ts';

/** Answers of a group the view shows as chips (num_generations can be 1,024; a screen of chips teaches as much as a thousand). */
export const ANSWERS_SHOWN = 64;

/**
 * The parameters that belong to one prompt: for the table kinds a contiguous block of rows (all its
 * positions, and for the autoregressive table every previous token). A kind whose parameters every
 * prompt shares (a network) answers with the whole buffer.
 */
export function promptParameters(shape: PolicyShape, prompt: number, count: number): [number, number] {
  if (shape.kind !== 'tabular' && shape.kind !== 'autoregressive') return [0, count];
  const V = shape.vocab;
  const first = rowIndex(shape, prompt, 0, 0);
  const last = rowIndex(shape, prompt, shape.maxLen - 1, V - 1);
  return [first * V, (last + 1) * V];
}

/** The optimizer's side of the step for the parameters in [from, to): gradient, and the change split into gradient and momentum. */
export function optimizerShare(
  before: Pick<PolicyState, 'logits' | 'adamM'>,
  after: Pick<PolicyState, 'logits' | 'adamM'>,
  opt: Config['optimizer'],
  [from, to]: [number, number],
): { promptGradNorm: number; gradNorm: number; fromGradient: number; fromMomentum: number } {
  const b1 = opt.adam_beta1;
  const gradOf = (i: number) =>
    opt.name === 'adam' ? (after.adamM[i] - b1 * before.adamM[i]) / (1 - b1) : -(after.logits[i] - before.logits[i]) / opt.learning_rate;
  let all = 0;
  for (let i = 0; i < before.logits.length; i++) all += gradOf(i) ** 2;
  let prompt = 0;
  let fromGradient = 0;
  let fromMomentum = 0;
  for (let i = from; i < to; i++) {
    const g = gradOf(i);
    prompt += g * g;
    const move = after.logits[i] - before.logits[i];
    if (move === 0) continue;
    // SGD has no momentum; Adam's step is proportional to m_after = β₁·m_before + (1 − β₁)·g, term by term.
    const m = after.adamM[i];
    const momentumPart = opt.name === 'adam' && m !== 0 ? (move * b1 * before.adamM[i]) / m : 0;
    fromMomentum += momentumPart ** 2;
    fromGradient += (move - momentumPart) ** 2;
  }
  return { promptGradNorm: Math.sqrt(prompt), gradNorm: Math.sqrt(all), fromGradient: Math.sqrt(fromGradient), fromMomentum: Math.sqrt(fromMomentum) };
}

/** The first index whose prompt is `preferred`, else 0; -1 when the list is empty. */
function pick(prompts: readonly number[], preferred: number): number {
  if (prompts.length === 0) return -1;
  const i = prompts.indexOf(preferred);
  return i >= 0 ? i : 0;
}

/**
 * The slow-motion report of `lane`'s step `step`: `view` is what the lane
 * reported for it, `before` and `after` the backend's state on either side.
 * It explains the example of `preferredPrompt` when the step had one, else
 * the step's first example; null when the step trained on nothing (DPO
 * online with every group tied).
 */
export function slowMotionReport(
  lane: LaneId,
  step: number,
  runConfig: Config,
  view: StepView,
  before: PolicyState,
  after: PolicyState,
  task: Pick<Task, 'alphabet' | 'items'>,
  preferredPrompt: number,
): SlowMotionReport | null {
  const config = { ...runConfig, objective: lane };
  const shape = before.shape;
  const L = shape.maxLen;
  const moves = (prompt: number, answer: string): TokenMove[] => tokenProbabilityChanges(before.logits, after.logits, shape, task, prompt, answer);
  let prompt: number;
  let examples: number;
  const body: Pick<SlowMotionReport, 'rft' | 'dpo' | 'sft'> = {};
  if (lane === 'rft') {
    const G = config.num_generations;
    const groups = Math.floor(view.texts.length / G);
    const groupPrompts = Array.from({ length: groups }, (_, g) => view.promptOf[g * G]);
    const g = pick(groupPrompts, preferredPrompt);
    if (g < 0) return null;
    prompt = groupPrompts[g];
    examples = groups;
    const weights = rftWeights(view, config, L, before.baseline);
    // Float32, as the engine hands the rewards to computeAdvantages.
    const rewards = Float32Array.from(view.scores);
    const [g0, g1] = [g * G, g * G + G];
    const mean = meanOf(rewards, g0, g1);
    const std = stdOf(rewards, g0, g1);
    const rft = config.rft;
    const divisor = rft.advantage !== 'grpo' || rft.scale_rewards === 'none' ? 1 : (rft.scale_rewards === 'batch' ? stdOf(rewards, 0, rewards.length) : std) + STD_EPS;
    const baseline = rft.advantage === 'grpo' ? mean : rft.advantage === 'reinforce' ? reinforceBaseline(rewards, rft, before.baseline).used : null;
    body.rft = {
      advantage: rft.advantage,
      scaleRewards: rft.scale_rewards,
      groupSize: G,
      answers: weights.slice(g0, Math.min(g1, g0 + ANSWERS_SHOWN)).map((w) => ({ text: w.text, score: w.score, advantage: w.advantage, tokens: moves(prompt, w.text) })),
      mean,
      std,
      baseline,
      divisor,
      otherGroupsOfPrompt: groupPrompts.filter((p) => p === prompt).length - 1,
    };
  } else if (lane === 'dpo') {
    const pairs = view.pairs ?? [];
    const k = pick(pairs.map((p) => p.prompt), preferredPrompt);
    if (k < 0) return null;
    prompt = pairs[k].prompt;
    examples = pairs.length;
    const [w] = dpoWeights([pairs[k]], before, task, config.dpo);
    body.dpo = {
      chosen: w.chosen,
      rejected: w.rejected,
      chosenLogRatio: w.chosenLogRatio,
      rejectedLogRatio: w.rejectedLogRatio,
      margin: w.margin,
      beta: config.dpo.beta,
      lossType: config.dpo.loss_type,
      weight: w.weight,
      chosenTokens: moves(prompt, w.chosen),
      rejectedTokens: moves(prompt, w.rejected),
    };
  } else {
    const demos = view.demos ?? [];
    const k = pick(demos.map((d) => d.prompt), preferredPrompt);
    if (k < 0) return null;
    prompt = demos[k].prompt;
    examples = demos.length;
    body.sft = { answer: demos[k].answer, tokens: moves(prompt, demos[k].answer), otherDemosOfPrompt: demos.filter((d) => d.prompt === prompt).length - 1 };
  }
  const heat = (s: PolicyState) => positionMarginals(s.logits, shape, prompt).map((row) => Array.from(row));
  const share = optimizerShare(before, after, config.optimizer, promptParameters(shape, prompt, before.logits.length));
  const maxNorm = config.optimizer.max_grad_norm;
  return {
    lane,
    step,
    prompt,
    promptText: task.items[prompt]?.prompt ?? `#${prompt}`,
    selectedPrompt: prompt === preferredPrompt,
    examples,
    ...body,
    heatmapBefore: heat(before),
    heatmapAfter: heat(after),
    optimizer: {
      name: config.optimizer.name,
      learningRate: config.optimizer.learning_rate,
      beta1: config.optimizer.adam_beta1,
      ...share,
      // The recovered gradient is the clipped one: at the clip its norm is max_grad_norm (to float32 rounding).
      clippedTo: maxNorm !== null && share.gradNorm > 0 && Math.abs(share.gradNorm - maxNorm) < 1e-3 * maxNorm ? maxNorm : null,
      klBeta: lane === 'rft' ? config.rft.beta : 0,
      entropyCoef: lane === 'rft' ? config.rft.entropy_coef : 0,
    },
  };
}
