/**
 * The run definition: one JSON object shared by the headless trainer, the
 * playground page and its share links. Names and defaults follow Hugging Face
 * TRL (GRPOConfig, DPOConfig, SFTConfig) so what students learn here transfers.
 *
 * Validation is strict: an unknown field, a wrong type or an out-of-range value
 * is reported as one line naming the field path, the value and what is allowed.
 */
import { z } from 'zod';

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** A grader is validated by the grader module (it knows every template); here it is any object. */
const graderSpec = z.looseObject({ type: z.string() });

export const taskFilesSchema = z.strictObject({
  sft_file: z.string().optional(),
  dpo_file: z.string().optional(),
  rft_file: z.string().optional(),
  grader: graderSpec.optional(),
  max_len: positiveInt(32).optional(),
});

export const configSchema = z.strictObject({
  /** A built-in task id, or files in the OpenAI fine-tuning formats. */
  task: z.union([z.string().min(1).max(64), taskFilesSchema]).default('reverse'),
  objective: z.enum(['rft', 'dpo', 'sft']).default('rft'),
  policy: z
    .strictObject({
      kind: z.enum(['tabular', 'autoregressive']).default('tabular'),
      /** Longest answer in tokens, EOS included; null = the task's default. */
      max_len: positiveInt(32).nullable().default(null),
      /** "uniform": all-zero logits. "base": a warm start fitted to plausible answers, like a pretrained base model. */
      init: z.enum(['uniform', 'base']).default('uniform'),
      /** Std of seeded Gaussian noise added to the initial logits. */
      init_scale: z.number().min(0).max(10).default(0),
    })
    .prefault({}),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  steps: z.number().int().min(0).max(1_000_000).default(300),
  backend: z.enum(['cpu', 'webgpu', 'auto']).default('auto'),
  /** Prompts per step (RFT, measurement batches), demonstrations per step (SFT), pairs per step (DPO). */
  batch_prompts: positiveInt(4096).default(8),
  /**
   * Candidates sampled per prompt. Larger than TRL's 8: a toy policy starting
   * uniform must stumble on an exact answer before RFT gets any signal, and 32
   * draws per prompt per step make that reliable within a few hundred steps.
   */
  num_generations: positiveInt(1024).default(32),
  temperature: z.number().min(0.05).max(10).default(1),
  /** Number of prompts taken from the task; null = the task's default. */
  num_prompts: positiveInt(4096).nullable().default(null),
  /** Share of demonstrations replaced by plausible wrong answers. */
  demo_error_rate: z.number().min(0).max(1).default(0),
  /** Share of preference pairs with chosen and rejected swapped. */
  preference_noise: z.number().min(0).max(1).default(0),
  optimizer: z
    .strictObject({
      name: z.enum(['adam', 'sgd']).default('adam'),
      learning_rate: z.number().gt(0).default(0.1),
      /** Global gradient-norm clip; null = no clipping. */
      max_grad_norm: z.number().gt(0).nullable().default(1),
      adam_beta1: z.number().min(0).lt(1).default(0.9),
      adam_beta2: z.number().min(0).lt(1).default(0.999),
      adam_epsilon: z.number().gt(0).max(1).default(1e-8),
    })
    .prefault({}),
  rft: z
    .strictObject({
      advantage: z.enum(['grpo', 'rloo', 'reinforce']).default('grpo'),
      /** grpo: divide by the group's std ("group"), the batch's ("batch") or not at all ("none"). */
      scale_rewards: z.enum(['group', 'batch', 'none']).default('group'),
      /** How token losses are averaged (TRL loss_type): per sequence then batch, over all tokens, or over batch × max_len. */
      loss_type: z.enum(['grpo', 'dapo', 'dr_grpo']).default('dapo'),
      epsilon: z.number().min(0).max(10).default(0.2),
      /** Upper clip bound (DAPO's clip-higher); null = same as epsilon. */
      epsilon_high: z.number().min(0).max(10).nullable().default(null),
      num_iterations: positiveInt(16).default(1),
      /** KL coefficient to the reference policy (k3 estimator in the loss). */
      beta: z.number().min(0).max(100).default(0),
      entropy_coef: z.number().min(0).max(100).default(0),
      /** reinforce: decay of the moving-average reward baseline. */
      baseline_decay: z.number().min(0).lt(1).default(0.9),
    })
    .prefault({}),
  dpo: z
    .strictObject({
      loss_type: z.enum(['sigmoid', 'ipo', 'hinge', 'robust']).default('sigmoid'),
      beta: z.number().gt(0).max(100).default(0.1),
      label_smoothing: z.number().min(0).lt(0.5).default(0),
      /** "offline": the task's preference pairs. "online": sample, grade, best vs worst. */
      pairs: z.enum(['offline', 'online']).default('offline'),
    })
    .prefault({}),
  sft: z.strictObject({}).prefault({}),
  /** null = the task's default grader. */
  grader: graderSpec.nullable().default(null),
  /** Extra graders scored on the same samples, logged as rewards/<name>, never trained on. */
  eval_graders: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/), graderSpec).default({}),
}).superRefine((c, ctx) => {
  const needsGroups =
    (c.objective === 'rft' && c.rft.advantage !== 'reinforce') || (c.objective === 'dpo' && c.dpo.pairs === 'online');
  if (needsGroups && c.num_generations === 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['num_generations'],
      message: 'needs at least 2 candidates per prompt to compare them (grpo, rloo and online DPO pairs compare within a group)',
    });
  }
  if (c.batch_prompts * c.num_generations > MAX_CANDIDATES) {
    ctx.addIssue({
      code: 'custom',
      path: ['num_generations'],
      message: `batch_prompts × num_generations = ${c.batch_prompts * c.num_generations} is more than the playground's limit of ${MAX_CANDIDATES} candidates per step`,
    });
  }
});

/** Candidates per step the playground accepts (memory of token and reward buffers stays in the tens of MB). */
export const MAX_CANDIDATES = 1 << 20;

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type Objective = Config['objective'];
export type TaskFiles = z.output<typeof taskFilesSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    /** Dotted path of the offending field, e.g. "rft.epsilon". */
    readonly path: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/** One readable line per problem: `config.rft.epsilon = -1: must be >= 0`. */
export function describeIssues(error: z.ZodError, input: unknown, root = 'config'): ConfigError[] {
  return error.issues.map((issue) => {
    let path = issue.path;
    let detail = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0];
      path = [...issue.path, key];
      const known = knownKeysAt(issue.path);
      detail = `unknown field` + (known.length ? ` (allowed: ${known.join(', ')})` : '');
    } else if (issue.code === 'invalid_value') {
      detail = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'too_small') {
      detail = `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    } else if (issue.code === 'too_big') {
      detail = `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    } else if (issue.code === 'invalid_type') {
      const got = valueAt(input, path);
      const article = /^[aeiou]/.test(issue.expected) ? 'an' : 'a';
      if (got === undefined) detail = `is required (${issue.expected})`;
      else if (issue.expected === 'int') detail = 'must be an integer';
      else detail = `must be ${article} ${issue.expected}, not ${got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got}`;
    } else if (issue.code === 'invalid_format') {
      detail = `has an invalid format (${issue.format})`;
    } else if (issue.code === 'invalid_union') {
      detail = 'must be a built-in task id (string) or an object {sft_file, dpo_file, rft_file, grader}';
    }
    const dotted = [root, ...path.map(String)].join('.');
    return new ConfigError(`${dotted} = ${show(valueAt(input, path))}: ${detail}`, dotted);
  });
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    const shape = objectShape(schema);
    if (!shape || !(String(key) in shape)) return [];
    schema = shape[String(key)];
  }
  const shape = objectShape(schema);
  return shape ? Object.keys(shape) : [];
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: z.ZodType = schema;
  // Unwrap default/prefault/nullable/optional wrappers to reach the object.
  for (let i = 0; i < 4; i++) {
    const def = (s as unknown as { def: { innerType?: z.ZodType; shape?: Record<string, z.ZodType> } }).def;
    if (def.shape) return def.shape;
    if (!def.innerType) return null;
    s = def.innerType;
  }
  return null;
}

export type ParseResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export function parseConfig(input: unknown): ParseResult {
  const result = configSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: describeIssues(result.error, input) };
}

/** Parse or throw the first problem as a ConfigError. */
export function loadConfig(input: unknown): Config {
  const r = parseConfig(input);
  if (!r.ok) throw r.errors[0];
  return r.config;
}

export function defaultConfig(): Config {
  return loadConfig({});
}
