/**
 * The GPU registry of policy kinds, beside the CPU one
 * (src/engine/policies/index.ts): both are Record<PolicyKind, ...>, so a kind
 * added to POLICY_KINDS (src/engine/enums.ts) without an entry here does not
 * typecheck. See docs/architecture.md for the files a new kind touches.
 */
import type { PolicyKind } from '../../engine/enums.ts';
import { tableGpu } from './table.ts';
import { transformerGpu } from './transformer.ts';
import type { GpuPolicyKind } from './types.ts';

export const GPU_POLICY_MODELS: Record<PolicyKind, GpuPolicyKind> = {
  tabular: tableGpu,
  autoregressive: tableGpu,
  transformer: transformerGpu,
};

export function gpuPolicyModel(kind: PolicyKind): GpuPolicyKind {
  return GPU_POLICY_MODELS[kind];
}

export type { DeviceBatch, GpuPolicyContext, GpuPolicyKind, GpuPolicyModel } from './types.ts';
