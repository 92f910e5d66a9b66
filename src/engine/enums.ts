/**
 * Every enumerated config value, once, as plain tuples (no zod: the page's
 * main thread and the WGSL header generator read them too). config.ts builds
 * its schema from them, src/ui/knobs.ts its selects, and src/gpu/kernels.ts
 * turns each into named WGSL constants (`LOSS_DAPO`, `DPO_IPO`, ...) whose
 * value is the index in the tuple, so a shader never spells an enum as `1u`.
 */
export const OBJECTIVES = ['rft', 'dpo', 'sft'] as const;
export const POLICY_KINDS = ['tabular', 'autoregressive', 'transformer'] as const;
/** uniform: all-zero logits (tables). random: GPT-2 initialisation from the seed (transformer). base: a warm start (either). */
export const POLICY_INITS = ['uniform', 'base', 'random'] as const;
export const POSITIONS = ['learned', 'rotary'] as const;
/** Which prompts are held out: a seeded random share, or the longest (length generalisation). */
export const EVAL_SPLITS = ['random', 'longest'] as const;
export const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;
export const OPTIMIZERS = ['adam', 'sgd'] as const;
/** TRL's lr_scheduler_type names the playground offers. */
export const LR_SCHEDULERS = ['constant', 'linear'] as const;
export const ADVANTAGES = ['grpo', 'rloo', 'reinforce'] as const;
export const SCALE_REWARDS = ['group', 'batch', 'none'] as const;
/** TRL's GRPO loss_type: how token losses are averaged. */
export const RFT_LOSS_TYPES = ['grpo', 'dapo', 'dr_grpo'] as const;
/** TRL's DPO loss_type names; cdpo (sigmoid with label smoothing) is not in TRL 1.10, hence its own name. */
export const DPO_LOSS_TYPES = ['sigmoid', 'cdpo', 'ipo', 'hinge', 'robust'] as const;
export const DPO_PAIRS = ['offline', 'online'] as const;

export type Objective = (typeof OBJECTIVES)[number];
export type PolicyKind = (typeof POLICY_KINDS)[number];
export type PolicyInit = (typeof POLICY_INITS)[number];
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export type LrScheduler = (typeof LR_SCHEDULERS)[number];

/**
 * The batch and optimizer a kind gets for the fields the config leaves out (here, zod-free: the page
 * switches kinds with them). The tables move one logit per visit, so a large step and constant rate
 * suit them. The transformer's are the measured RFT recipe (tests/learning/): 16 prompts × 16
 * answers, learning rate 1e-3 warmed up over 20 steps then decayed linearly to 0 at `steps`, Adam β₂
 * 0.98. With the tables' 8 × 32 at a constant rate, RFT from the base rose, then fell back (sort:
 * held-out 0.48 → 0.72 at step 150 → 0.60 at 450; with the recipe 0.53 → 0.95 in 300 steps).
 */
export interface KindDefaults {
  batch_prompts: number;
  num_generations: number;
  learning_rate: number;
  warmup_steps: number;
  lr_scheduler_type: LrScheduler;
  adam_beta2: number;
}

export function kindDefaults(kind: PolicyKind): KindDefaults {
  return kind === 'transformer'
    ? { batch_prompts: 16, num_generations: 16, learning_rate: 1e-3, warmup_steps: 20, lr_scheduler_type: 'linear', adam_beta2: 0.98 }
    : { batch_prompts: 8, num_generations: 32, learning_rate: 0.1, warmup_steps: 0, lr_scheduler_type: 'constant', adam_beta2: 0.999 };
}

/** The learning rate a kind gets when optimizer.learning_rate is not given. */
export function defaultLearningRate(kind: PolicyKind): number {
  return kindDefaults(kind).learning_rate;
}

/** The starting point a kind gets when policy.init is not given. */
export function defaultInit(kind: PolicyKind): PolicyInit {
  return kind === 'transformer' ? 'base' : 'uniform';
}

/** The page's three lanes: one per objective, in this order. */
export const LANE_IDS: readonly Objective[] = OBJECTIVES;
export type LaneId = Objective;

/** The enums the kernels branch on, with the prefix of their WGSL constant names. */
export const WGSL_ENUMS = {
  ADVANTAGE: ADVANTAGES,
  SCALE: SCALE_REWARDS,
  LOSS: RFT_LOSS_TYPES,
  DPO: DPO_LOSS_TYPES,
  OPTIMIZER: OPTIMIZERS,
} as const;

/** Index of `value` in its tuple: the number a kernel compares with the named constant. */
export function enumIndex<T extends string>(values: readonly T[], value: T): number {
  const i = values.indexOf(value);
  if (i < 0) throw new Error(`"${value}" is not one of ${values.join(', ')}`);
  return i;
}

/** `const LOSS_DAPO: u32 = 1u;` lines for every enum the kernels read. */
export function wgslEnumConstants(): string[] {
  const lines: string[] = [];
  for (const [prefix, values] of Object.entries(WGSL_ENUMS)) {
    values.forEach((v, i) => lines.push(`const ${prefix}_${v.toUpperCase()}: u32 = ${i}u;`));
  }
  return lines;
}
