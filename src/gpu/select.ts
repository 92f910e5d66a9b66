/**
 * Backend choice from the config's `backend`: "cpu", "webgpu" or "auto"
 * (WebGPU when an adapter exists, else the CPU with a notice saying why).
 * A WebGPU backend comes wrapped in ResilientBackend, so a lost device never
 * ends a run: it continues on a new device, or on the CPU.
 *
 * Callers pass the GPU object: `navigator.gpu` in a browser or worker,
 * `await getNodeGpu()` (src/gpu/node-gpu.ts) in Node.
 */
import type { Backend } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu-backend.ts';
import type { PolicyState } from '../engine/policy.ts';
import { NoAdapterError } from './device.ts';
import { ResilientBackend } from './resilient.ts';
import { sharedRuntime } from './runtime.ts';
import { WebGpuBackend } from './webgpu-backend.ts';

export type BackendPreference = 'cpu' | 'webgpu' | 'auto';

export interface SelectOptions {
  /** Later notices (device lost, moved to another device or the CPU). */
  onNotice?(message: string): void;
  /** Updates between state syncs of the device-loss journal (default 25). */
  syncEvery?: number;
}

export interface SelectedBackend {
  backend: Backend;
  /** Why the choice differs from what was asked ("auto" fell back to the CPU), else null. */
  notice: string | null;
}

export async function selectBackend(
  pref: BackendPreference,
  state: PolicyState,
  gpu: GPU | null,
  reasonIfNull?: string,
  options: SelectOptions = {},
): Promise<SelectedBackend> {
  if (pref === 'cpu') return { backend: new CpuBackend(state), notice: null };
  const unavailable = (why: string): SelectedBackend => {
    if (pref === 'webgpu') throw new Error(`config.backend = "webgpu", but WebGPU cannot be used here: ${why}. Use backend "cpu" or "auto" to train on the CPU.`);
    return { backend: new CpuBackend(state), notice: `WebGPU is not available (${why}); training on the CPU` };
  };
  if (!gpu) return unavailable(reasonIfNull ?? 'this environment has no WebGPU (navigator.gpu is missing)');
  let gpuBackend: WebGpuBackend;
  try {
    // The lanes of a page (or a process) share one device and its compiled pipelines.
    gpuBackend = await WebGpuBackend.create(gpu, state, { runtime: await sharedRuntime(gpu) });
  } catch (e) {
    if (e instanceof NoAdapterError) return unavailable(reasonIfNull ?? e.message);
    if (pref === 'webgpu') throw e;
    return { backend: new CpuBackend(state), notice: `WebGPU could not be used (${(e as Error).message}); training on the CPU` };
  }
  const backend = new ResilientBackend(gpuBackend, state, {
    syncEvery: options.syncEvery,
    onNotice: options.onNotice,
    replace: (synced) => replacementBackend(gpu, synced),
  });
  return { backend, notice: null };
}

/**
 * After a device loss: a backend on the shared runtime's new device (the lost
 * runtime is never handed out again, and the lanes that recover share the new
 * one and its pipelines), else the CPU.
 */
export async function replacementBackend(gpu: GPU, state: PolicyState): Promise<Backend> {
  try {
    return await WebGpuBackend.create(gpu, state, { runtime: await sharedRuntime(gpu) });
  } catch {
    return new CpuBackend(state);
  }
}
