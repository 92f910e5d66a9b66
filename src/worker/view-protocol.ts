/**
 * What crosses between the page and the worker for the "see it happen" views: one update taken apart
 * (slow motion, src/worker/slow-motion.ts) and one prompt's answer distribution under a sampling setting
 * (src/worker/sampling-view.ts). Plain data only, a few hundred numbers per message; the page imports
 * these types alone.
 */
import type { LaneId } from './protocol.ts';

/** A heatmap cell whose probability moved by at least this much in a step is "changed" and highlighted (0.1 percentage points). */
export const CHANGED = 0.001;

/** One token of an answer, in context (the tokens before it): its probability before and after a step. */
export interface TokenMove {
  position: number;
  /** The character, or "⏎" for the end of the answer. */
  token: string;
  before: number;
  after: number;
}

/**
 * One real update of one lane, taken apart for the "step slowly" view (and lesson 2): the engine's own
 * numbers for one example of the step (an RFT group, a DPO pair, an SFT demonstration), and the policy of
 * its prompt before and after the step. Built in the worker (src/worker/slow-motion.ts).
 */
export interface SlowMotionReport {
  lane: LaneId;
  step: number;
  /** The prompt the explained example answers (an index into RunInfo.prompts); the heatmaps are of this prompt. */
  prompt: number;
  promptText: string;
  /** False when none of the step's examples answered the prompt the page had selected (the first one is explained). */
  selectedPrompt: boolean;
  /** Examples the step trained on: RFT groups, DPO pairs, SFT demonstrations. */
  examples: number;
  rft?: {
    advantage: 'grpo' | 'rloo' | 'reinforce';
    scaleRewards: 'group' | 'batch' | 'none';
    /** G, the group's size; `answers` lists the first ANSWERS_SHOWN of them. */
    groupSize: number;
    answers: { text: string; score: number; advantage: number; tokens: TokenMove[] }[];
    /** Mean and sample std (n − 1) of the group's scores. */
    mean: number;
    std: number;
    /** What a score is measured against: the group mean (grpo), the moving baseline (reinforce); null for rloo (each answer has its own). */
    baseline: number | null;
    /** Advantages are divided by this: std + 1e-4 (the group's or the batch's), or 1 (scale_rewards none, rloo, reinforce). */
    divisor: number;
    /** Other groups of the same prompt in this batch (they move the same cells). */
    otherGroupsOfPrompt: number;
  };
  dpo?: {
    chosen: string;
    rejected: string;
    /** log π(y) − log π_ref(y), summed over the answer's tokens (per-token means for IPO), before the step. */
    chosenLogRatio: number;
    rejectedLogRatio: number;
    margin: number;
    beta: number;
    lossType: string;
    /** σ(−β·margin) for the sigmoid loss; −(dL/dmargin)/β in general. */
    weight: number;
    chosenTokens: TokenMove[];
    rejectedTokens: TokenMove[];
  };
  sft?: { answer: string; tokens: TokenMove[]; otherDemosOfPrompt: number };
  /** Position marginals (the heatmap) of `prompt` before and after the step, at temperature 1. */
  heatmapBefore: number[][];
  heatmapAfter: number[][];
  /** Where the move of this prompt's parameters came from (recovered from the optimizer's own state). */
  optimizer: {
    name: 'adam' | 'sgd';
    learningRate: number;
    beta1: number;
    /** Norm of the step's gradient (after the global clip) on this prompt's parameters, and on all of them. */
    promptGradNorm: number;
    gradNorm: number;
    /** max_grad_norm, when the step's gradient was clipped to it. */
    clippedTo: number | null;
    /** Norm of the change of this prompt's parameters: the part this step's gradient made, and the part Adam's momentum (earlier steps) made. */
    fromGradient: number;
    fromMomentum: number;
    /** RFT: the KL leash's β and the entropy bonus, which have gradients of their own whatever the scores. */
    klBeta: number;
    entropyCoef: number;
  };
}

/** One prompt's answers under a sampling setting (temperature, top-k), as the sampling view asks for it. */
export interface SamplingRequest {
  lane: LaneId;
  prompt: number;
  temperature: number;
  /** Keep the K likeliest tokens at each position and renormalise; 0 = all tokens (the run's own sampler). */
  topK: number;
  /** Fresh samples to draw, and which batch of them (a counter: "New samples" draws the next). */
  samples: number;
  draw: number;
  /** How many of the likeliest answers to list. */
  limit: number;
}

export interface SamplingResult {
  lane: LaneId;
  /** The lane's step whose policy this is. */
  step: number;
  prompt: number;
  temperature: number;
  topK: number;
  draw: number;
  /** The likeliest answers, best first: exact probability (summed over the token paths the sampler can take) and how many of the fresh samples were it. */
  answers: { text: string; probability: number; count: number }[];
  /** Probability of every answer not listed, and how many fresh samples were one of those. */
  otherProbability: number;
  otherCount: number;
  samples: number;
  /** How long the worker took, in ms (the page adds the round trip). */
  computeMs: number;
}
