/** "auto" picks the faster backend: a software WebGPU adapter loses to the CPU engine unless the run is big. */
import { describe, expect, it } from 'vitest';
import { cpuIsFaster, SOFTWARE_GPU_MIN_CANDIDATES, softwareAdapterName } from '../../src/worker/backend-choice.ts';

describe('backend choice', () => {
  it('recognises software adapters by their info', () => {
    expect(softwareAdapterName({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true })).toBe('SwiftShader');
    expect(softwareAdapterName({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe');
    expect(softwareAdapterName({ vendor: 'unknown', isFallbackAdapter: true })).toBe('a fallback adapter');
    expect(softwareAdapterName({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false })).toBeNull();
  });

  it('trains on the CPU with a software adapter unless the run samples very many answers a step', () => {
    expect(cpuIsFaster('SwiftShader', { batch_prompts: 8, num_generations: 32 })).toBe(true);
    expect(cpuIsFaster('SwiftShader', { batch_prompts: SOFTWARE_GPU_MIN_CANDIDATES / 256, num_generations: 256 })).toBe(false);
    expect(cpuIsFaster(null, { batch_prompts: 8, num_generations: 32 })).toBe(false);
  });
});
