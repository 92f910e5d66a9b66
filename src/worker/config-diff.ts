/**
 * Which knob changes can apply to a running lane and which need a rebuild.
 * A change to the policy's shape or starting point (task, policy kind,
 * max_len, number of prompts, seed, init) cannot be grafted onto a trained
 * table, so it waits for Reset; the page says so instead of silently ignoring it.
 */
import type { Config } from '../engine/config.ts';

/** Fields whose change needs a Reset (dotted paths). */
export const RESET_FIELDS = ['task', 'policy', 'num_prompts', 'eval_prompts', 'eval_split', 'seed', 'backend'] as const;
/** Fields that change the task's data but not the policy's shape: rebuilt live, policies kept. */
export const DATA_FIELDS = ['demo_error_rate', 'preference_noise'] as const;
/** Fields that need a new grader object. */
export const GRADER_FIELDS = ['grader', 'eval_graders'] as const;

export interface ConfigChange {
  /** Paths that need a Reset, e.g. ["policy.kind"]. */
  reset: string[];
  /** True when demonstrations or pairs must be rebuilt. */
  data: boolean;
  /** True when the grader must be rebuilt. */
  grader: boolean;
  /** Every changed leaf path. */
  changed: string[];
}

/** Leaf paths whose values differ between two configs (arrays and values compared by JSON). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

const under = (path: string, roots: readonly string[]) => roots.some((r) => path === r || path.startsWith(r + '.'));

export function classifyChange(prev: Config, next: Config): ConfigChange {
  const changed = changedPaths(prev, next);
  // The grader object is compared whole: one template swap is one change, not a dozen leaf paths.
  // Likewise an imported task's file names are one "task" change for the page to name.
  const reset = changed.filter((p) => under(p, RESET_FIELDS)).map((p) => (under(p, ['task']) ? 'task' : p));
  return {
    changed,
    reset: [...new Set(reset)],
    data: changed.some((p) => under(p, DATA_FIELDS)),
    grader: changed.some((p) => under(p, GRADER_FIELDS)),
  };
}
