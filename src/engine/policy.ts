/**
 * Where training stands: a policy's flat parameters, its frozen reference, the
 * optimizer's moments and counters. The model behind the parameters is the
 * policy kind's (src/engine/policies/); this file knows only flat buffers.
 */
import type { PolicyKind } from './enums.ts';
import { paramCount, policyModel, type InitOptions, type PolicyParameters, type PolicyShape } from './policies/index.ts';
import type { Task } from './task.ts';

export type { PolicyKind, PolicyShape, PolicyParameters, InitOptions };
export { paramCount };

/** Everything that defines where training stands; enough to resume on any backend. */
export interface PolicyState {
  shape: PolicyShape;
  /** The policy's parameters, flat (for the tables: logits[row][token]). */
  logits: Float32Array;
  /** Frozen initial policy (π_ref for KL and DPO). */
  ref: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  /** Optimizer steps taken (Adam bias correction). */
  optSteps: number;
  /** REINFORCE moving-average baseline; NaN until the first batch. */
  baseline: number;
}

/** Initial parameters of the shape's kind. */
export function initialLogits(shape: PolicyShape, task: Task, opts: InitOptions): Float32Array {
  return policyModel(shape.kind).initialParams(shape, task, opts);
}

export function newPolicyState(shape: PolicyShape, logits: Float32Array): PolicyState {
  return {
    shape,
    logits,
    ref: logits.slice(),
    adamM: new Float32Array(logits.length),
    adamV: new Float32Array(logits.length),
    optSteps: 0,
    baseline: Number.NaN,
  };
}

export function cloneState(s: PolicyState): PolicyState {
  return {
    shape: { ...s.shape },
    logits: s.logits.slice(),
    ref: s.ref.slice(),
    adamM: s.adamM.slice(),
    adamV: s.adamV.slice(),
    optSteps: s.optSteps,
    baseline: s.baseline,
  };
}

/** The parameters-only view of a state (what read-outs need). */
export function parametersOf(s: Pick<PolicyState, 'shape' | 'logits' | 'ref'>): PolicyParameters {
  return { shape: s.shape, params: s.logits, ref: s.ref };
}

/** The heatmap's read-out over a flat parameter buffer of `shape`'s kind (PolicyReadouts.positionMarginals). */
export function positionMarginals(params: Float32Array, shape: PolicyShape, prompt: number, temperature = 1): Float64Array[] {
  return policyModel(shape.kind).readouts.positionMarginals({ shape, params, ref: params }, prompt, temperature);
}
