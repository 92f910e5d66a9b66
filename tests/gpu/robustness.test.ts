/**
 * What happens when things go wrong: the device is lost mid-run (the run
 * continues, on a new device or the CPU, with the same results), a kernel does
 * not compile (the message names the file and line), a config is too large
 * for the device (the message names the fields to reduce), no adapter exists
 * (auto falls back to the CPU with a notice; "webgpu" refuses with the reason).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu-backend.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';
import type { PolicyState } from '../../src/engine/policy.ts';
import { makeLane } from '../../src/engine/setup.ts';
import { ResilientBackend } from '../../src/gpu/resilient.ts';
import { sharedRuntime } from '../../src/gpu/runtime.ts';
import { selectBackend } from '../../src/gpu/select.ts';
import { loadShaderSources, ShaderCompileError } from '../../src/gpu/shaders.ts';
import { GpuLimitError, WebGpuBackend } from '../../src/gpu/webgpu-backend.ts';
import { expectClose, gpu, setup } from './helpers.ts';

const RUN = { task: 'reverse', seed: 3, policy: { kind: 'autoregressive' }, rft: { beta: 0.02 } };
const STEPS = 30;

const live: Backend[] = [];
afterEach(() => {
  live.splice(0).forEach((b) => b.dispose());
});

/** Runs STEPS steps; `interrupt(step)` is called before each step, and may return true to disrupt *during* it. */
async function run(backend: Backend, interrupt: (step: number) => 'between' | 'during' | null = () => null, destroy: () => void = () => {}): Promise<StepMetrics[]> {
  live.push(backend);
  const s = setup(RUN);
  const lane = makeLane(s.config, { task: s.task, state: s.state, backend });
  const metrics: StepMetrics[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const when = interrupt(step);
    if (when === 'between') destroy();
    const pending = lane.step();
    if (when === 'during') destroy(); // the step's sample is already submitted
    const outcome = await pending;
    if (!outcome.ok) throw new Error(outcome.message);
    metrics.push(outcome.metrics);
  }
  return metrics;
}

function currentDevice(backend: Backend): GPUDevice {
  return ((backend as ResilientBackend).current as WebGpuBackend).gpuDevice;
}

describe.skipIf(!gpu)('device lost mid-run', () => {
  it('continues on a new device with exactly the uninterrupted results', async () => {
    const reference = await run((await selectBackend('webgpu', setup(RUN).state, gpu)).backend);
    const notices: string[] = [];
    const { backend } = await selectBackend('webgpu', setup(RUN).state, gpu, undefined, { syncEvery: 7, onNotice: (m) => notices.push(m) });
    const metrics = await run(
      backend,
      (step) => (step === 12 ? 'between' : step === 23 ? 'during' : null),
      () => currentDevice(backend).destroy(),
    );
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/device was lost.*continuing on webgpu/);
    expect(backend.kind).toBe('webgpu');
    expect(metrics).toEqual(reference);
    // The replacement is on the shared runtime's new device (which the other lanes would share), not a device of its own.
    const runtime = await sharedRuntime(gpu!);
    expect(runtime.usable).toBe(true);
    expect(currentDevice(backend)).toBe(runtime.device);
  });

  it('continues on the CPU when no new device can be had (results within float rounding)', async () => {
    const reference = await run((await selectBackend('webgpu', setup(RUN).state, gpu)).backend);
    const s = setup(RUN);
    const backend = new ResilientBackend(await WebGpuBackend.create(gpu!, s.state), s.state, { syncEvery: 5, replace: async (state: PolicyState) => new CpuBackend(state) });
    const metrics = await run(backend, (step) => (step === 13 ? 'during' : null), () => currentDevice(backend).destroy());
    expect(backend.kind).toBe('cpu');
    for (let i = 0; i < STEPS; i++) for (const [key, value] of Object.entries(reference[i])) expectClose(metrics[i][key], value, 1e-4, 1e-4, `step ${i + 1} ${key}`);
  });
});

describe.skipIf(!gpu)('shader compile errors', () => {
  it('name the kernel file and line', async () => {
    const sources = { ...(await loadShaderSources()) };
    const lines = sources['table/grad_rows'].split('\n');
    const mainLine = lines.findIndex((l) => l.startsWith('fn main('));
    lines.splice(mainLine + 1, 0, '  let broken: f32 = no_such_value;');
    sources['table/grad_rows'] = lines.join('\n');
    const error = await WebGpuBackend.create(gpu!, setup(RUN).state, { shaderSources: sources }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    const message = (error as Error).message;
    expect(message).toContain('WGSL kernel "grad_rows" does not compile');
    expect(message).toContain(`shaders/table/grad_rows.wgsl:${mainLine + 2}:`);
    expect(message).toContain('no_such_value');
  });
});

describe('backend selection', () => {
  const state = () => setup(RUN).state;

  it('"cpu" is the CPU engine, without a notice', async () => {
    const { backend, notice } = await selectBackend('cpu', state(), gpu);
    expect(backend.kind).toBe('cpu');
    expect(notice).toBeNull();
  });

  it('"auto" without WebGPU trains on the CPU and says why', async () => {
    const { backend, notice } = await selectBackend('auto', state(), null, 'no Vulkan driver; apt-get install chromium libvulkan1');
    expect(backend.kind).toBe('cpu');
    expect(notice).toBe('WebGPU is not available (no Vulkan driver; apt-get install chromium libvulkan1); training on the CPU');
  });

  it('"webgpu" without WebGPU refuses, saying what is missing', async () => {
    await expect(selectBackend('webgpu', state(), null, 'no Vulkan driver; apt-get install chromium libvulkan1')).rejects.toThrow(
      'config.backend = "webgpu", but WebGPU cannot be used here: no Vulkan driver; apt-get install chromium libvulkan1',
    );
  });

  it.skipIf(!gpu)('"auto" with an adapter is WebGPU', async () => {
    const { backend, notice } = await selectBackend('auto', state(), gpu);
    live.push(backend);
    expect(backend.kind).toBe('webgpu');
    expect(backend.label).toMatch(/^webgpu \(/);
    expect(notice).toBeNull();
  });

  it.skipIf(!gpu)('a policy too large for the device is refused with the fields to reduce', async () => {
    const shape = { kind: 'autoregressive' as const, prompts: 4096, maxLen: 32, vocab: 64 };
    // Only the shape matters: the size check comes before any upload.
    const huge: PolicyState = { shape, logits: new Float32Array(0), ref: new Float32Array(0), adamM: new Float32Array(0), adamV: new Float32Array(0), optSteps: 0, baseline: NaN };
    const error = await selectBackend('webgpu', huge, gpu).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuLimitError);
    expect((error as Error).message).toMatch(/4096 prompts × max_len 32 × vocabulary 64².*reduce num_prompts or policy\.max_len, or use policy\.kind "tabular"/);
  });

  it.skipIf(!gpu)('a transformer context beyond the workgroup memory is refused with the fields to change, before any kernel compiles', async () => {
    // One head of 32 channels over a context of ~38 positions: attention needs 4·(4·T·32 + T²) bytes > the 16 KiB every device has.
    const { state: long } = setup({ task: 'reverse', policy: { kind: 'transformer', init: 'random', layers: 1, d_model: 32, heads: 1, max_len: 32 } });
    const error = await selectBackend('webgpu', long, gpu).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuLimitError);
    expect((error as Error).message).toMatch(/^a context of \d+ positions .* needs \d+ bytes of workgroup memory for attention; this WebGPU device has \d+: shorten the prompts or policy\.max_len, use more policy\.heads, or --backend cpu$/);
  });
});
