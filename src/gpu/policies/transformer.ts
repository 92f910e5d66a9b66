/**
 * The transformer on the GPU: work in progress (issue 17). Until its model is
 * wired to the kernels in src/gpu/transformer/, creating it refuses, so the
 * trainer and the page train the transformer on the CPU engine.
 */
import type { GpuPolicyKind } from './types.ts';

export const transformerGpu: GpuPolicyKind = {
  kernels: [],
  libraries: [],
  header: () => [],
  largestBuffer: () => 0,
  create() {
    throw new Error('the transformer does not run on WebGPU yet: use backend "cpu"');
  },
};
