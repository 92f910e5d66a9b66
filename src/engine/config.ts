/**
 * The run definition: one JSON object shared by the headless trainer, the
 * playground page and its share links. Names and defaults follow Hugging Face
 * TRL (GRPOConfig, DPOConfig, SFTConfig) so what students learn here transfers.
 *
 * Validation is strict: an unknown field, a wrong type or an out-of-range value
 * is reported as one line naming the field path, the value and what is allowed.
 */
import { z } from 'zod/mini';
import { ADVANTAGES, BACKENDS, DPO_LOSS_TYPES, DPO_PAIRS, EVAL_SPLITS, LR_SCHEDULERS, OBJECTIVES, OPTIMIZERS, POLICY_INITS, POLICY_KINDS, POSITIONS, RFT_LOSS_TYPES, SCALE_REWARDS, defaultInit, defaultLearningRate, kindDefaults } from './enums.ts';

// zod/mini: the same validation core as zod with a tree-shakable API, which keeps the
// training worker's bundle small (the playground has a 300 KB gzipped budget).
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));
const num = (...checks: Parameters<ReturnType<typeof z.number>['check']>) => z.number().check(...checks);
const positiveInt = (max: number) => int(1, max);
const withDefault = <T extends z.ZodMiniType>(schema: T, value: z.output<T>) => z._default(schema, value as never);

/** A grader is validated by the grader module (it knows every template); here it is any object. */
const graderSpec = z.looseObject({ type: z.string() });

export const taskFilesSchema = z.strictObject({
  sft_file: z.optional(z.string()),
  dpo_file: z.optional(z.string()),
  rft_file: z.optional(z.string()),
  grader: z.optional(graderSpec),
  max_len: z.optional(positiveInt(32)),
  /** The characters answers are written with, in token order; default: from the files (src/data/custom-task.ts). */
  alphabet: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

const configObject = z
  .strictObject({
    /** A built-in task id, or files in the OpenAI fine-tuning formats. */
    task: withDefault(z.union([z.string().check(z.minLength(1), z.maxLength(64)), taskFilesSchema]), 'reverse'),
    objective: withDefault(z.enum(OBJECTIVES), 'rft'),
    policy: z.prefault(
      z.pipe(
        z.strictObject({
          kind: withDefault(z.enum(POLICY_KINDS), 'tabular'),
          /** Longest answer in tokens, EOS included; null = the task's default. */
          max_len: withDefault(z.nullable(positiveInt(32)), null),
          /**
           * "uniform": all-zero logits (tables). "random": GPT-2 initialisation from the seed (transformer).
           * "base": a warm start, like a pretrained base model. Default: "uniform" for tables, "base" for the transformer.
           */
          init: z.optional(z.enum(POLICY_INITS)),
          /** Std of seeded Gaussian noise added to the initial logits (tables). */
          init_scale: withDefault(num(z.gte(0), z.lte(10)), 0),
          /** Transformer: blocks, width, attention heads, MLP width (null = 4 × d_model), position encoding. */
          layers: withDefault(positiveInt(12), 2),
          d_model: withDefault(positiveInt(512), 32),
          heads: withDefault(positiveInt(64), 4),
          d_mlp: withDefault(z.nullable(positiveInt(4096)), null),
          positions: withDefault(z.enum(POSITIONS), 'learned'),
          /** Transformer base: pretraining stops once greedy accuracy on its own check prompts reaches this ... */
          base_accuracy: withDefault(num(z.gt(0), z.lte(1)), 0.75),
          /** ... or after this many steps. */
          base_max_steps: withDefault(int(1, 100_000), 2000),
        }),
        z.transform((p) => ({ ...p, init: p.init ?? defaultInit(p.kind) })),
      ),
      {},
    ),
    seed: withDefault(int(0, 0xffffffff), 0),
    steps: withDefault(int(0, 1_000_000), 300),
    backend: withDefault(z.enum(BACKENDS), 'auto'),
    /** Prompts per step (RFT, measurement batches), demonstrations per step (SFT), pairs per step (DPO). Default by policy kind (kindDefaults): 8, or 16 for the transformer. */
    batch_prompts: z.optional(positiveInt(4096)),
    /**
     * Candidates sampled per prompt. Default by policy kind: 32 for the tables, larger than TRL's 8,
     * since a table starting uniform must stumble on an exact answer before RFT gets any signal, and
     * 32 draws per prompt per step make that reliable within a few hundred steps; 16 for the
     * transformer, whose base already scores.
     */
    num_generations: z.optional(positiveInt(1024)),
    temperature: withDefault(num(z.gte(0.05), z.lte(10)), 1),
    /** Number of prompts taken from the task; null = the task's default. */
    num_prompts: withDefault(z.nullable(positiveInt(4096)), null),
    /** Share of demonstrations replaced by plausible wrong answers. */
    demo_error_rate: withDefault(num(z.gte(0), z.lte(1)), 0),
    /** Prompts held out of training and evaluated every eval_steps; null = the task's default (0 for the tables). */
    eval_prompts: withDefault(z.nullable(int(0, 4096)), null),
    /** "random": a seeded share of the pool; "longest": the longest prompts (train short, test long). */
    eval_split: withDefault(z.enum(EVAL_SPLITS), 'random'),
    /** Held-out evaluation every this many steps (TRL's eval_steps), and at step 0. */
    eval_steps: withDefault(positiveInt(1_000_000), 10),
    /** Share of preference pairs with chosen and rejected swapped. */
    preference_noise: withDefault(num(z.gte(0), z.lte(1)), 0),
    optimizer: z.prefault(
      z.strictObject({
        name: withDefault(z.enum(OPTIMIZERS), 'adam'),
        /** Default by policy kind: 0.1 for the tables (logits move by about this much a step), 1e-3 for the transformer (weights). */
        learning_rate: z.optional(num(z.gt(0))),
        /** TRL's lr_scheduler_type: "constant", or "linear" decay to 0 at `steps`. Default by policy kind: constant, linear for the transformer. */
        lr_scheduler_type: z.optional(z.enum(LR_SCHEDULERS)),
        /** Linear warm-up from 0 over this many steps (TRL's warmup_steps). Default by policy kind: 0, 20 for the transformer. */
        warmup_steps: z.optional(int(0, 1_000_000)),
        /** Global gradient-norm clip; null = no clipping. */
        max_grad_norm: withDefault(z.nullable(num(z.gt(0))), 1),
        adam_beta1: withDefault(num(z.gte(0), z.lt(1)), 0.9),
        /** Default by policy kind: 0.999, 0.98 for the transformer. */
        adam_beta2: z.optional(num(z.gte(0), z.lt(1))),
        adam_epsilon: withDefault(num(z.gt(0), z.lte(1)), 1e-8),
      }),
      {},
    ),
    rft: z.prefault(
      z.strictObject({
        advantage: withDefault(z.enum(ADVANTAGES), 'grpo'),
        /** grpo: divide by the group's std ("group"), the batch's ("batch") or not at all ("none"). */
        scale_rewards: withDefault(z.enum(SCALE_REWARDS), 'group'),
        /** How token losses are averaged (TRL loss_type): per sequence then batch, over all tokens, or over batch × max_len. */
        loss_type: withDefault(z.enum(RFT_LOSS_TYPES), 'dapo'),
        epsilon: withDefault(num(z.gte(0), z.lte(10)), 0.2),
        /** Upper clip bound (DAPO's clip-higher); null = same as epsilon. */
        epsilon_high: withDefault(z.nullable(num(z.gte(0), z.lte(10))), null),
        num_iterations: withDefault(positiveInt(16), 1),
        /** KL coefficient to the reference policy (k3 estimator in the loss). */
        beta: withDefault(num(z.gte(0), z.lte(100)), 0),
        entropy_coef: withDefault(num(z.gte(0), z.lte(100)), 0),
        /** reinforce: decay of the moving-average reward baseline. */
        baseline_decay: withDefault(num(z.gte(0), z.lt(1)), 0.9),
      }),
      {},
    ),
    dpo: z.prefault(
      z.strictObject({
        loss_type: withDefault(z.enum(DPO_LOSS_TYPES), 'sigmoid'),
        beta: withDefault(num(z.gt(0), z.lte(100)), 0.1),
        label_smoothing: withDefault(num(z.gte(0), z.lt(0.5)), 0),
        /** "offline": the task's preference pairs. "online": sample, grade, best vs worst. */
        pairs: withDefault(z.enum(DPO_PAIRS), 'offline'),
      }),
      {},
    ),
    sft: z.prefault(z.strictObject({}), {}),
    /** null = the task's default grader. */
    grader: withDefault(z.nullable(graderSpec), null),
    /** Extra graders scored on the same samples, logged as rewards/<name>, never trained on. */
    eval_graders: withDefault(z.record(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,32}$/)), graderSpec), {}),
  })
  .check(
    z.superRefine((c, ctx) => {
      // The fields a kind gives defaults to are filled after these checks (configSchema).
      const kind = kindDefaults(c.policy.kind);
      const generations = c.num_generations ?? kind.num_generations;
      const prompts = c.batch_prompts ?? kind.batch_prompts;
      const needsGroups =
        (c.objective === 'rft' && c.rft.advantage !== 'reinforce') || (c.objective === 'dpo' && c.dpo.pairs === 'online');
      if (needsGroups && generations === 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['num_generations'],
          message: 'needs at least 2 candidates per prompt to compare them (grpo, rloo and online DPO pairs compare within a group)',
        });
      }
      if (c.objective === 'dpo' && c.dpo.loss_type === 'sigmoid' && c.dpo.label_smoothing > 0) {
        // Before cdpo had its own name, sigmoid with label smoothing meant cDPO; TRL's sigmoid ignores it.
        // Refusing keeps an old config from silently changing meaning.
        ctx.addIssue({
          code: 'custom',
          path: ['dpo', 'label_smoothing'],
          message: 'has no effect with dpo.loss_type "sigmoid" (as in TRL); use loss_type "cdpo" for label-smoothed (conservative) DPO, or "robust"',
        });
      }
      if (c.policy.kind === 'transformer' && c.policy.init === 'uniform') {
        ctx.addIssue({ code: 'custom', path: ['policy', 'init'], message: 'a transformer starts "random" (GPT-2 initialisation from the seed) or "base" (pretrained on the task); "uniform" is for the tables' });
      }
      if (c.policy.kind !== 'transformer' && c.policy.init === 'random') {
        ctx.addIssue({ code: 'custom', path: ['policy', 'init'], message: 'is for the transformer; a table starts "uniform" (add policy.init_scale for seeded noise) or "base"' });
      }
      if (prompts * generations > MAX_CANDIDATES) {
        ctx.addIssue({
          code: 'custom',
          path: ['num_generations'],
          message: `batch_prompts × num_generations = ${prompts * generations} is more than the playground's limit of ${MAX_CANDIDATES} candidates per step`,
        });
      }
    }),
  );

/** Defaults that depend on other fields (the policy kind: kindDefaults), filled after the fields are checked. */
export const configSchema = z.pipe(
  configObject,
  z.transform((c) => {
    const d = kindDefaults(c.policy.kind);
    const o = c.optimizer;
    return {
      ...c,
      batch_prompts: c.batch_prompts ?? d.batch_prompts,
      num_generations: c.num_generations ?? d.num_generations,
      optimizer: {
        ...o,
        learning_rate: o.learning_rate ?? d.learning_rate,
        lr_scheduler_type: o.lr_scheduler_type ?? d.lr_scheduler_type,
        warmup_steps: o.warmup_steps ?? d.warmup_steps,
        adam_beta2: o.adam_beta2 ?? d.adam_beta2,
      },
    };
  }),
);


/** The learning rate of step `step` (1-based) of `steps`: warm-up, then constant or linear decay. */
export function scheduledLearningRate(opt: Config['optimizer'], step: number, steps: number): number {
  const warm = opt.warmup_steps > 0 ? Math.min(1, step / opt.warmup_steps) : 1;
  const decay = opt.lr_scheduler_type === 'linear' && steps > 0 ? Math.max(0, 1 - (step - 1) / steps) : 1;
  return opt.learning_rate * warm * decay;
}

export { defaultInit, defaultLearningRate, kindDefaults };

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
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/** One readable line per problem: `config.rft.epsilon = -1: must be >= 0`. */
export function describeIssues(error: { issues: z.core.$ZodIssue[] }, input: unknown, root = 'config'): ConfigError[] {
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
      else if (typeof got === 'number' && !Number.isFinite(got)) detail = 'must be a finite number (a JSON number beyond ±1.8e308 overflows to Infinity)';
      else if (issue.expected === 'int') detail = 'must be an integer';
      else detail = `must be ${article} ${issue.expected}, not ${got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got}`;
    } else if (issue.code === 'invalid_format') {
      detail = `has an invalid format (${issue.format})`;
    } else if (issue.code === 'invalid_key') {
      detail = 'names must be 1–32 letters, digits, "_", "." or "-"';
    } else if (issue.code === 'invalid_union') {
      detail = 'must be a built-in task id (string) or an object {sft_file, dpo_file, rft_file, grader}';
    }
    const dotted = [root, ...path.map(String)].join('.');
    return new ConfigError(`${dotted} = ${show(valueAt(input, path))}: ${detail}`, dotted);
  });
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodMiniType = configSchema;
  for (const key of path) {
    const shape = objectShape(schema);
    if (!shape || !(String(key) in shape)) return [];
    schema = shape[String(key)];
  }
  const shape = objectShape(schema);
  return shape ? Object.keys(shape) : [];
}

function objectShape(schema: z.ZodMiniType): Record<string, z.ZodMiniType> | null {
  let s: z.ZodMiniType = schema;
  // Unwrap default/prefault/nullable/optional wrappers to reach the object.
  for (let i = 0; i < 4; i++) {
    const def = (s as unknown as { def: { innerType?: z.ZodMiniType; in?: z.ZodMiniType; shape?: Record<string, z.ZodMiniType> } }).def;
    if (def.shape) return def.shape;
    const inner = def.innerType ?? def.in;
    if (!inner) return null;
    s = inner;
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
