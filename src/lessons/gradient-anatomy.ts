/**
 * "Gradient anatomy" (the slow-motion view of one update, in the lane cards and
 * lesson 2): how much each example of one step pushes the policy, per
 * objective, computed from the same formulas the engine uses.
 *
 * - SFT: every target token of a demonstration has weight 1 (the loss is the
 *   mean negative log-likelihood, so each token pulls its own probability up equally).
 * - DPO: a pair's weight is σ(−β·margin), with margin the chosen answer's
 *   log-ratio to the reference minus the rejected one's. Pairs the policy
 *   already ranks far apart (large margin) stop pulling.
 * - RFT: a sample's weight is its advantage: positive pushes its tokens up,
 *   negative pushes them down, zero (a group where every score is equal) does nothing.
 *
 * Pure functions over engine types: the page feeds them a lane's StepView and
 * the policy state read before the step.
 */
import { computeAdvantages } from '../engine/objectives/advantages.ts';
import type { Config } from '../engine/config.ts';
import { dpoLoss, sigmoid } from '../engine/objectives/dpo.ts';
import type { StepView } from '../engine/lane.ts';
import { readouts } from '../engine/policies/index.ts';
import type { PolicyShape, PolicyState } from '../engine/policy.ts';
import { EOS, Vocabulary, type Task } from '../engine/task.ts';
import { tokenWeight } from '../engine/objectives/rft.ts';

export type Push = 'up' | 'down' | 'none';

export interface RftSampleWeight {
  prompt: number;
  text: string;
  score: number;
  /** The sample's weight in the update. */
  advantage: number;
  /** Weight of each of its tokens in the loss (advantage × the loss_type's per-token normaliser). */
  perToken: number;
  push: Push;
}

export interface DpoPairWeight {
  prompt: number;
  chosen: string;
  rejected: string;
  /** log π(chosen) − log π_ref(chosen), and the same of the rejected answer (per-token means for IPO). */
  chosenLogRatio: number;
  rejectedLogRatio: number;
  /** chosenLogRatio − rejectedLogRatio. */
  margin: number;
  /** σ(−β·margin) for the sigmoid loss; in general −(dL/dmargin)/β, which reduces to it. */
  weight: number;
}

export interface SftDemoWeight {
  prompt: number;
  answer: string;
  /** Target tokens, EOS included; each has weight 1. */
  tokens: number;
  perToken: 1;
}

export type StepAnatomy =
  | { objective: 'rft'; samples: RftSampleWeight[] }
  | { objective: 'dpo'; pairs: DpoPairWeight[] }
  | { objective: 'sft'; demos: SftDemoWeight[] };

const pushOf = (w: number): Push => (w > 0 ? 'up' : w < 0 ? 'down' : 'none');

/**
 * RFT weights of one step's samples, laid out as a lane samples them (groups of
 * `num_generations` answers to the same prompt). `baseline` is the REINFORCE
 * moving average before the step (PolicyState.baseline); other estimators ignore it.
 */
export function rftWeights(
  view: Pick<StepView, 'promptOf' | 'texts' | 'scores'>,
  config: Pick<Config, 'num_generations' | 'rft'>,
  maxLen: number,
  baseline = Number.NaN,
): RftSampleWeight[] {
  const N = view.texts.length;
  if (view.scores.length !== N || view.promptOf.length !== N) {
    throw new Error(`rftWeights: ${N} texts but ${view.scores.length} scores and ${view.promptOf.length} prompts; they must match one to one`);
  }
  const G = config.num_generations;
  const { advantages } = computeAdvantages(Float32Array.from(view.scores), G, config.rft, baseline);
  // Token count in the engine includes EOS when the answer ended before max_len.
  const lengths = view.texts.map((t) => Math.min(Array.from(t).length + 1, maxLen));
  const tokenCount = lengths.reduce((a, b) => a + b, 0);
  return view.texts.map((text, i) => ({
    prompt: view.promptOf[i],
    text,
    score: view.scores[i],
    advantage: advantages[i],
    perToken: advantages[i] * tokenWeight(config.rft.loss_type, lengths[i], N, tokenCount, maxLen),
    push: pushOf(advantages[i]),
  }));
}

/**
 * Tokens of an answer as the sampler lays them out: its characters, then EOS
 * if there is room. A sampled answer that reached max_len has no EOS, so
 * (unlike a demonstration) it may be exactly max_len characters long.
 */
export function answerTokens(vocab: Vocabulary, answer: string, maxLen: number): number[] {
  const chars = Array.from(answer);
  if (chars.length > maxLen) throw new Error(`answer "${answer}" has ${chars.length} characters but max_len is ${maxLen}`);
  const tokens = chars.map((ch) => {
    const t = vocab.tokenOf(ch);
    if (t === undefined) throw new Error(`answer "${answer}" has "${ch}", which is not in the task's vocabulary`);
    return t;
  });
  if (tokens.length < maxLen) tokens.push(EOS);
  return tokens;
}

/** Log-probability of `answer` (then EOS, if it fits) for `prompt` under a logits table, at temperature 1. */
export function sequenceLogProb(logits: Float32Array, shape: PolicyShape, vocab: Vocabulary, prompt: number, answer: string): number {
  return readouts({ shape, params: logits, ref: logits }).sequenceLogProb('policy', prompt, answerTokens(vocab, answer, shape.maxLen));
}

/** DPO weights of one step's pairs under the policy as it was before the step. */
export function dpoWeights(
  pairs: NonNullable<StepView['pairs']>,
  state: Pick<PolicyState, 'shape' | 'logits' | 'ref'>,
  task: Pick<Task, 'alphabet'>,
  dpo: Config['dpo'],
): DpoPairWeight[] {
  const vocab = new Vocabulary(task.alphabet);
  const ipo = dpo.loss_type === 'ipo';
  const logRatio = (prompt: number, answer: string) => {
    const diff = sequenceLogProb(state.logits, state.shape, vocab, prompt, answer) - sequenceLogProb(state.ref, state.shape, vocab, prompt, answer);
    // IPO compares per-token means, as the engine does; EOS counts as a token when it fits.
    return ipo ? diff / Math.min(Array.from(answer).length + 1, state.shape.maxLen) : diff;
  };
  return pairs.map((p) => {
    const chosenLogRatio = logRatio(p.prompt, p.chosen);
    const rejectedLogRatio = logRatio(p.prompt, p.rejected);
    const margin = chosenLogRatio - rejectedLogRatio;
    const weight =
      dpo.loss_type === 'sigmoid' && dpo.label_smoothing === 0
        ? sigmoid(-dpo.beta * margin)
        : -dpoLoss(dpo.loss_type, margin, dpo.beta, dpo.label_smoothing).dLdh / dpo.beta;
    return { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, chosenLogRatio, rejectedLogRatio, margin, weight };
  });
}

export function sftWeights(demos: NonNullable<StepView['demos']>, maxLen: number): SftDemoWeight[] {
  return demos.map((d) => ({ prompt: d.prompt, answer: d.answer, tokens: Math.min(Array.from(d.answer).length + 1, maxLen), perToken: 1 }));
}

/**
 * The anatomy of one lane step. `before` is the policy state read before the
 * step (DPO margins and the REINFORCE baseline depend on it).
 */
export function stepAnatomy(config: Config, view: StepView, before: PolicyState, task: Pick<Task, 'alphabet'>): StepAnatomy {
  const L = before.shape.maxLen;
  if (config.objective === 'rft') return { objective: 'rft', samples: rftWeights(view, config, L, before.baseline) };
  if (config.objective === 'dpo') {
    if (!view.pairs) throw new Error('stepAnatomy: a DPO step view must list the pairs it trained on');
    return { objective: 'dpo', pairs: dpoWeights(view.pairs, before, task, config.dpo) };
  }
  if (!view.demos) throw new Error('stepAnatomy: an SFT step view must list the demonstrations it trained on');
  return { objective: 'sft', demos: sftWeights(view.demos, L) };
}

export interface TokenChange {
  position: number;
  /** The character at this position, or "⏎" for EOS. */
  token: string;
  before: number;
  after: number;
}

/**
 * Probability of each token of `answer` (in context: the tokens before it) under
 * two logits tables, e.g. before and after one update: which token
 * probabilities went up or down.
 */
export function tokenProbabilityChanges(
  before: Float32Array,
  after: Float32Array,
  shape: PolicyShape,
  task: Pick<Task, 'alphabet'>,
  prompt: number,
  answer: string,
): TokenChange[] {
  const vocab = new Vocabulary(task.alphabet);
  const read = (params: Float32Array) => readouts({ shape, params, ref: params });
  const tokens = answerTokens(vocab, answer, shape.maxLen);
  return tokens.map((token, t) => {
    const prefix = tokens.slice(0, t);
    const before_ = read(before).nextTokenDistribution(prompt, prefix)[token];
    const after_ = read(after).nextTokenDistribution(prompt, prefix)[token];
    return { position: t, token: vocab.label(token), before: before_, after: after_ };
  });
}
