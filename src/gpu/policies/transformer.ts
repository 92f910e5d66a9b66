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
  create(ctx, shape, kernels) {
    const cfg = transformerConfigOf(shape);
    const bytes = attentionWorkgroupBytes(cfg.context, headSize(cfg));
    const limit = ctx.device.limits.maxComputeWorkgroupStorageSize;
    if (bytes > limit) {
      throw new Error(
        `a context of ${cfg.context} positions with head size ${headSize(cfg)} needs ${bytes} bytes of workgroup memory for attention; this WebGPU device has ${limit}: shorten the prompts or policy.max_len, or use more policy.heads`,
      );
    }
    return new TransformerGpuModel(ctx, shape, kernels);
  },
};
