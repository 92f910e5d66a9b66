/** Named GPU bindings: each kernel's interface is read from its WGSL, and a dispatch must name exactly what it declares. */
import { describe, expect, it } from 'vitest';
import { kernelInterface, type Kernel } from '../../src/gpu/kernels.ts';
import { SHARED_KERNELS } from '../../src/gpu/kernels.ts';
import { GPU_POLICY_MODELS } from '../../src/gpu/policies/index.ts';
import { loadShaderSources } from '../../src/gpu/shaders.ts';
import { Submission } from '../../src/gpu/submission.ts';

describe('kernel interfaces from the WGSL', async () => {
  const sources = await loadShaderSources();
  it('every kernel declares params first, then named buffers in @binding order, and scalar uniforms', () => {
    const files = [...SHARED_KERNELS, ...Object.values(GPU_POLICY_MODELS).flatMap((kind) => kind.kernels)];
    for (const name of files) {
      const iface = kernelInterface(name, sources[name]);
      expect(iface.uniforms.length, name).toBeGreaterThan(0);
      expect(iface.bindings.length, name).toBeGreaterThan(0);
    }
    expect(kernelInterface('optimizer', sources['optimizer/optimizer']).uniforms.map((u) => u.name)).toEqual([
      'count', 'kind', 'learning_rate', 'beta1', 'beta2', 'one_minus_beta1', 'one_minus_beta2', 'step_size', 'sqrt_bias2', 'epsilon', 'logit_limit',
    ]);
  });

  it('a dispatch with a missing, unknown or misspelt name is refused', () => {
    const kernel = { name: 'reduce', file: 'optimizer/reduce', iface: kernelInterface('reduce', sources['optimizer/reduce']) } as unknown as Kernel;
    const buffers = { input: {} as GPUBuffer, output: {} as GPUBuffer };
    const sub = new Submission();
    expect(() => sub.run(kernel, { count: 1, in_offset: 0 }, buffers, 1)).toThrow(/uniform out_index not given/);
    expect(() => sub.run(kernel, { count: 1, in_offset: 0, out_index: 0, extra: 1 }, buffers, 1)).toThrow(/has no uniform extra/);
    expect(() => sub.run(kernel, { count: 1, in_offset: 0, out_index: 0 }, { input: buffers.input, ouput: buffers.output }, 1)).toThrow(/buffer output not given/);
    expect(() => sub.run(kernel, { count: 1, in_offset: 0, out_index: 0 }, buffers, 1)).not.toThrow();
  });

  it('a binding out of order is reported at start-up', () => {
    expect(() => kernelInterface('x', 'struct Params { n: u32 }\n@group(0) @binding(0) var<uniform> params: Params;\n@group(0) @binding(2) var<storage, read> a: array<f32>;')).toThrow(/out of order/);
  });
});
