/**
 * The transformer on the GPU (the CPU side is src/engine/policies/transformer.ts):
 * its model is src/gpu/transformer/policy.ts, composed from the kernels of
 * shaders/transformer/ with the shared header plus the transformer's own
 * constants (TF_T the context, TF_HS the head size, the matmuls' mode).
 */
import { attentionWorkgroupBytes, transformerHeaderLines } from '../transformer/kernels.ts';
import { paddedLayout } from '../transformer/layout.ts';
import { POLICY_MATMUL, TRANSFORMER_POLICY_KERNELS, TransformerGpuModel } from '../transformer/policy.ts';
import { headSize } from '../../models/transformer/config.ts';
import { transformerConfigOf } from '../../models/transformer/shape.ts';
import type { GpuPolicyKind } from './types.ts';

export const transformerGpu: GpuPolicyKind = {
  kernels: TRANSFORMER_POLICY_KERNELS,
  libraries: [],
  header(shape) {
    const cfg = transformerConfigOf(shape);
    return transformerHeaderLines({ context: cfg.context, headSize: headSize(cfg), matmul: POLICY_MATMUL });
  },
  // The padded parameters; activations are sized by the batch and checked as they are made.
  largestBuffer: (shape) => paddedLayout(transformerConfigOf(shape)).count * 4,
  deviceLimit(shape, limits) {
    const cfg = transformerConfigOf(shape);
    const bytes = attentionWorkgroupBytes(cfg.context, headSize(cfg));
    const limit = limits.maxComputeWorkgroupStorageSize;
    if (bytes <= limit) return null;
    return `a context of ${cfg.context} positions (the longest prompt, its separator and policy.max_len) with head size ${headSize(cfg)} (policy.d_model / policy.heads) needs ${bytes} bytes of workgroup memory for attention; this WebGPU device has ${limit}: shorten the prompts or policy.max_len, use more policy.heads, or --backend cpu`;
  },
  create(ctx, shape, kernels) {
    const refused = transformerGpu.deviceLimit!(shape, ctx.device.limits);
    if (refused) throw new Error(refused); // the backend refuses it before compiling, as a GpuLimitError
    return new TransformerGpuModel(ctx, shape, kernels);
  },
};
