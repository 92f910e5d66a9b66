/**
 * From a validated config to a ready lane: resolve the task, the policy shape,
 * the initial state, the grader and the backend. Shared by the headless
 * trainer, the training worker and the tests.
 */
import type { Backend } from './backend.ts';
import type { Config } from './config.ts';
import { CpuBackend } from './cpu-backend.ts';
import { Lane } from './lane.ts';
import { initialLogits, newPolicyState, type PolicyShape, type PolicyState } from './policy.ts';
import { MAX_VOCAB, type Task, type TaskOptions } from './task.ts';
import { builtinTask } from '../tasks/index.ts';
import { createGrader, type Grader } from '../graders/index.ts';

export function taskOptions(config: Config): TaskOptions {
  return {
    seed: config.seed,
    numPrompts: config.num_prompts,
    demoErrorRate: config.demo_error_rate,
    preferenceNoise: config.preference_noise,
  };
}

/** Builds the task of a config whose `task` is a built-in id (custom files are resolved by the caller). */
export function resolveTask(config: Config): Task {
  if (typeof config.task !== 'string') throw new Error('resolveTask: custom task files must be loaded by the caller');
  return builtinTask(config.task, taskOptions(config));
}

export function policyShape(config: Config, task: Task): PolicyShape {
  const vocab = task.alphabet.length + 1;
  if (vocab > MAX_VOCAB) {
    throw new Error(`task "${task.id}" uses ${vocab - 1} distinct answer characters; the playground supports at most ${MAX_VOCAB - 1}`);
  }
  return { kind: config.policy.kind, prompts: task.items.length, maxLen: config.policy.max_len ?? task.maxLen, vocab };
}

export function initialState(config: Config, task: Task): PolicyState {
  const shape = policyShape(config, task);
  return newPolicyState(shape, initialLogits(shape, task, { init: config.policy.init, initScale: config.policy.init_scale, seed: config.seed }));
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
