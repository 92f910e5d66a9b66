/**
 * The knobs of the page: where each lives in the config, its range and a
 * one-line explanation. Pure data and helpers; the components render them.
 */
import type { Config } from '../engine/config.ts';
import { ADVANTAGES, defaultInit, DPO_LOSS_TYPES, DPO_PAIRS, kindDefaults, type PolicyKind } from '../engine/enums.ts';
import type { LaneId } from '../worker/protocol.ts';

interface KnobBase {
  /** Dotted path in the config, e.g. "rft.epsilon". */
  path: string;
  label: string;
  /** One line on what the knob does. */
  help: string;
}
export type Knob =
  | (KnobBase & { kind: 'range'; min: number; max: number; step: number })
  /** A slider over log10(value): learning rates span decades. */
  | (KnobBase & { kind: 'log'; min: number; max: number })
  | (KnobBase & { kind: 'int'; min: number; max: number })
  | (KnobBase & { kind: 'select'; options: readonly { value: string; label: string }[] });

const options = (...values: string[]) => values.map((value) => ({ value, label: value }));

/** Applied to all three lanes. */
export const SHARED_KNOBS: readonly Knob[] = [
  { path: 'optimizer.learning_rate', label: 'Learning rate', kind: 'log', min: 1e-4, max: 100, help: 'Size of each Adam step: a table’s logit moves by about this much per step at most. Higher learns faster but locks answers in.' },
  { path: 'batch_prompts', label: 'Batch (prompts per step)', kind: 'int', min: 1, max: 64, help: 'Prompts, pairs or demonstrations used per step.' },
  { path: 'seed', label: 'Seed', kind: 'int', min: 0, max: 0xffffffff, help: 'Fixes every random draw; same seed, same run.' },
  {
    path: 'policy.kind',
    label: 'Policy kind',
    kind: 'select',
    options: [
      { value: 'tabular', label: 'Table (per position)' },
      { value: 'autoregressive', label: 'Table (autoregressive)' },
      { value: 'transformer', label: 'Transformer (neural)' },
    ],
    help: 'A table learns each prompt alone; the transformer shares its weights across prompts, so it can do better on prompts it never saw. Switching takes the new kind’s batch and learning-rate settings.',
  },
  { path: 'policy.init', label: 'Starting policy', kind: 'select', options: options('uniform', 'base'), help: 'Uniform: every answer equally likely. Base: a warm start that is sometimes right.' },
  { path: 'steps', label: 'Steps', kind: 'int', min: 1, max: 100000, help: 'Training stops after this many steps; raise it to continue.' },
];

export const LANE_KNOBS: Record<LaneId, readonly Knob[]> = {
  rft: [
    { path: 'rft.advantage', label: 'Advantage', kind: 'select', options: options(...ADVANTAGES), help: 'How a reward becomes a push: vs the group mean (grpo), the others (rloo) or a running baseline.' },
    { path: 'num_generations', label: 'Generations per prompt', kind: 'int', min: 2, max: 128, help: 'Candidates sampled per prompt; more makes a lucky correct answer likelier.' },
    { path: 'rft.epsilon', label: 'Clip ε', kind: 'range', min: 0, max: 1, step: 0.01, help: 'Limits how far one update may move an answer’s probability ratio.' },
    { path: 'rft.beta', label: 'KL β', kind: 'range', min: 0, max: 1, step: 0.01, help: 'Pulls the policy back towards where it started.' },
    { path: 'temperature', label: 'Temperature', kind: 'range', min: 0.1, max: 3, step: 0.05, help: 'Sampling randomness (also used for the other lanes’ measured samples).' },
  ],
  dpo: [
    { path: 'dpo.beta', label: 'β', kind: 'range', min: 0.01, max: 2, step: 0.01, help: 'How strongly a preference may move the policy away from the start.' },
    { path: 'dpo.loss_type', label: 'Loss', kind: 'select', options: options(...DPO_LOSS_TYPES), help: 'sigmoid is the DPO paper; cdpo softens it for noisy labels (dpo.label_smoothing); ipo and hinge bound the push; robust expects noisy labels.' },
    { path: 'dpo.pairs', label: 'Pairs', kind: 'select', options: options(...DPO_PAIRS), help: 'Offline: the dataset’s pairs. Online: sample, grade, best vs worst.' },
  ],
  sft: [],
};

/** The transformer's own knobs, shown instead of the table's "Starting policy" when it is chosen. Shape changes wait for Reset. */
export const NEURAL_KNOBS: readonly Knob[] = [
  {
    path: 'policy.init',
    label: 'Starting policy',
    kind: 'select',
    options: [
      { value: 'base', label: 'Pretrained base' },
      { value: 'random', label: 'Random weights' },
    ],
    help: 'Base: pretrained by next-token prediction on prompts neither trained on nor held out, as a real LLM is. Random: no pretraining.',
  },
  { path: 'policy.layers', label: 'Layers', kind: 'int', min: 1, max: 4, help: 'Blocks of attention + MLP.' },
  { path: 'policy.d_model', label: 'Width (d_model)', kind: 'select', options: options('16', '32', '48', '64'), help: 'Each token’s vector size (a multiple of the heads); cost grows with its square.' },
  { path: 'policy.heads', label: 'Attention heads', kind: 'select', options: options('1', '2', '4', '8'), help: 'Attention patterns per layer.' },
];

/** The small transformer offered when the CPU engine would be slow: about 7× fewer parameters than the default. */
export const SMALL_TRANSFORMER = { layers: 1, d_model: 16, heads: 4 } as const;

/**
 * The config with another policy kind. The kinds learn on different scales (a logit vs a weight), so the
 * batch, optimizer (kindDefaults), starting policy and task size go back to the new kind's defaults,
 * never carried across.
 */
export function withPolicyKind(config: Config, kind: PolicyKind): Config {
  const { batch_prompts, num_generations, ...optimizer } = kindDefaults(kind);
  return {
    ...config,
    policy: { ...config.policy, kind, init: defaultInit(kind) },
    batch_prompts,
    num_generations,
    optimizer: { ...config.optimizer, ...optimizer },
    num_prompts: null,
    eval_prompts: null,
  };
}

/**
 * About how many lockstep steps a second the CPU engine takes with these lanes on: per lane, seconds ≈
 * parameters × sequences per step × 5.2e-8 (fitted to `npm run bench`: RFT at 2 layers × 32, 16 × 16, 2.7 steps/s).
 */
export function cpuStepsPerSecond(config: Config, parameters: number, lanes: readonly LaneId[]): number {
  const sequences = (lane: LaneId) => (lane === 'rft' ? config.batch_prompts * config.num_generations : lane === 'dpo' ? 2 * config.batch_prompts : config.batch_prompts);
  const seconds = lanes.reduce((t, lane) => t + parameters * Math.max(1, sequences(lane)) * 5.2e-8, 0);
  return 1 / Math.max(seconds, 1e-3);
}

export const DATA_KNOBS: readonly Knob[] = [
  { path: 'demo_error_rate', label: 'Demonstration error rate', kind: 'range', min: 0, max: 1, step: 0.05, help: 'Share of SFT demonstrations replaced by plausible wrong answers.' },
  { path: 'preference_noise', label: 'Preference noise', kind: 'range', min: 0, max: 1, step: 0.05, help: 'Share of DPO pairs with chosen and rejected swapped.' },
];

export function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A copy of `obj` with `path` set to `value`; the original is untouched. */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base = (obj ?? {}) as Record<string, unknown>;
  const next = rest.length === 0 ? value : setPath(base[head], rest.join('.'), value);
  return { ...base, [head]: next } as T;
}

/** Slider position (0..1000) ↔ value for log knobs. */
export const LOG_SLIDER_STEPS = 1000;
export function logToSlider(value: number, min: number, max: number): number {
  const u = (Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
  return Math.round(Math.min(1, Math.max(0, u)) * LOG_SLIDER_STEPS);
}
export function sliderToLog(position: number, min: number, max: number): number {
  const v = 10 ** (Math.log10(min) + (position / LOG_SLIDER_STEPS) * (Math.log10(max) - Math.log10(min)));
  // Three significant digits: 0.1, not 0.10000000149. Two would map neighbouring slider
  // positions (1.2 % apart) to one value, so the thumb would move while the value stays.
  return Number(v.toPrecision(3));
}

/** Knob label for a config path (for "needs a reset" messages). */
export function knobLabel(path: string): string {
  const all = [...SHARED_KNOBS, ...NEURAL_KNOBS, ...DATA_KNOBS, ...Object.values(LANE_KNOBS).flat()];
  const exact = all.find((k) => k.path === path);
  if (exact) return exact.label;
  if (path === 'task') return 'Task';
  if (path === 'num_prompts') return 'Number of prompts';
  if (path === 'policy') return 'Transformer size';
  return path;
}

export type { Config };
