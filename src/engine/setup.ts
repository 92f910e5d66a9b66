/**
 * From a validated config to a ready lane: resolve the task, the policy shape,
 * the initial state, the grader and the backend. Shared by the headless
 * trainer, the training worker and the tests.
 */
import type { Backend } from './backend.ts';
import type { Config } from './config.ts';
import { CpuBackend } from './cpu-backend.ts';
import { Lane } from './lane.ts';
import { initialLogits, newPolicyState, type InitOptions, type PolicyShape, type PolicyState } from './policy.ts';
import { netShape } from '../models/transformer/shape.ts';
import { baseKey, cachedBase } from '../models/transformer/base.ts';
import { holdOut } from '../tasks/split.ts';
import { MAX_VOCAB, type Task, type TaskOptions } from './task.ts';
import { builtinTask } from '../tasks/index.ts';
import { customTask, objectiveProblem, type TaskFileTexts } from '../data/custom-task.ts';
import { createGrader, type Grader } from '../graders/index.ts';

export function taskOptions(config: Config): TaskOptions {
  return {
    seed: config.seed,
    numPrompts: config.num_prompts,
    demoErrorRate: config.demo_error_rate,
    preferenceNoise: config.preference_noise,
    evalPrompts: config.eval_prompts,
    evalSplit: config.eval_split,
    scale: config.policy.kind === 'transformer' ? 'neural' : 'table',
  };
}

/**
 * The task of a config: a built-in id, or the user's files in the OpenAI formats. Files are read by the
 * caller (src/data/node-files.ts `loadTaskFiles` in Node, file pickers in the page) and passed in as text,
 * so the engine never touches the disk. Throws a DataError for bad files, and a plain Error when the task
 * lacks what the config's objective trains on (SFT without demonstrations, offline DPO without pairs).
 */
export function resolveTask(config: Config, files?: TaskFileTexts): Task {
  let task: Task;
  if (typeof config.task === 'string') {
    task = builtinTask(config.task, taskOptions(config));
  } else {
    if (!files) throw new Error('config.task names files: load them first (loadTaskFiles in src/data/node-files.ts) and pass them to resolveTask');
    task = customTask(files, { ...taskOptions(config), grader: config.task.grader ?? null, maxLen: config.task.max_len ?? null, alphabet: config.task.alphabet ?? null });
    task = holdOut(task, config.eval_prompts ?? 0, config.eval_split);
  }
  const problem = objectiveProblem(config, task);
  if (problem) throw new Error(problem);
  return task;
}

export function policyShape(config: Config, task: Task): PolicyShape {
  const vocab = task.alphabet.length + 1;
  if (vocab > MAX_VOCAB) {
    throw new Error(`task "${task.id}" uses ${vocab - 1} distinct answer characters; the playground supports at most ${MAX_VOCAB - 1}`);
  }
  const maxLen = config.policy.max_len ?? task.maxLen;
  const shape: PolicyShape = { kind: config.policy.kind, prompts: task.items.length, maxLen, vocab };
  if (config.policy.kind === 'transformer') {
    const p = config.policy;
    shape.net = netShape(task, maxLen, { layers: p.layers, dModel: p.d_model, heads: p.heads, dMlp: p.d_mlp, positions: p.positions }).net;
  }
  return shape;
}

export function initOptions(config: Config): InitOptions {
  return {
    init: config.policy.init,
    initScale: config.policy.init_scale,
    seed: config.seed,
    base: { accuracy: config.policy.base_accuracy, maxSteps: config.policy.base_max_steps },
  };
}

export function initialState(config: Config, task: Task, onBaseProgress?: InitOptions['onBaseProgress']): PolicyState {
  const shape = policyShape(config, task);
  return newPolicyState(shape, initialLogits(shape, task, { ...initOptions(config), onBaseProgress }));
}

/** The transformer's base for this config, once pretrained (cached in this thread): how long it trained and where it stopped. */
export function baseSummary(config: Config, task: Task): { steps: number; checkAccuracy: number; reached: boolean } | null {
  if (config.policy.kind !== 'transformer' || config.policy.init !== 'base') return null;
  const base = cachedBase(baseKey(policyShape(config, task), task, initOptions(config)));
  return base ? { steps: base.steps, checkAccuracy: base.checkAccuracy, reached: base.reached } : null;
}

export interface LaneParts {
  task: Task;
  state: PolicyState;
  backend?: Backend;
  grader?: Grader;
  evalGraders?: Record<string, Grader>;
}

/** A lane on the given backend (default: a CPU backend on the initial state). */
export function makeLane(config: Config, parts: LaneParts): Lane {
  const { task, state } = parts;
  const grader = parts.grader ?? createGrader(config.grader ?? task.grader);
  const evalGraders = parts.evalGraders ?? makeEvalGraders(config, task);
  const backend = parts.backend ?? new CpuBackend(state);
  return new Lane(config, { task, backend, grader, evalGraders }, state.shape.maxLen);
}

export function makeEvalGraders(config: Config, task: Task): Record<string, Grader> {
  const specs = { ...(task.evalGraders ?? {}), ...config.eval_graders };
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, createGrader(spec)]));
}
