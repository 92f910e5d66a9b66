/**
 * The registry of policy kinds: the one place a new kind of model is added
 * (its CPU model and read-outs here; its GPU model in the table beside it,
 * src/gpu/policies/index.ts;
 * see docs/architecture.md).
 */
import type { PolicyKind } from '../enums.ts';
import { tableEntry } from './table.ts';
import { transformerEntry } from './transformer.ts';
import type { PolicyKindEntry, PolicyParameters, PolicyReadouts, PolicyShape } from './types.ts';

export const POLICY_MODELS: Record<PolicyKind, PolicyKindEntry> = {
  tabular: tableEntry,
  autoregressive: tableEntry,
  transformer: transformerEntry,
};

export function policyModel(kind: PolicyKind): PolicyKindEntry {
  return POLICY_MODELS[kind];
}

/** The read-outs of a policy's kind, bound to it. */
export function readouts(policy: PolicyParameters): { [K in keyof PolicyReadouts]: PolicyReadouts[K] extends (p: PolicyParameters, ...rest: infer A) => infer R ? (...rest: A) => R : never } {
  const r = POLICY_MODELS[policy.shape.kind].readouts;
  return {
    nextTokenDistribution: (...a) => r.nextTokenDistribution(policy, ...a),
    sequenceLogProb: (...a) => r.sequenceLogProb(policy, ...a),
    greedyAnswer: (...a) => r.greedyAnswer(policy, ...a),
    positionMarginals: (...a) => r.positionMarginals(policy, ...a),
  };
}

export function paramCount(shape: PolicyShape): number {
  return POLICY_MODELS[shape.kind].paramCount(shape);
}

export type { CpuPolicyModel, InitOptions, NetShape, PolicyKindEntry, PolicyParameters, PolicyReadouts, PolicyShape, VisitBatch } from './types.ts';
