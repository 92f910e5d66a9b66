/** Backend choice for the headless trainer (Node): the CPU engine, or WebGPU through Dawn's Node bindings. */
import type { Backend } from '../engine/backend.ts';
import type { Config } from '../engine/config.ts';
import { CpuBackend } from '../engine/cpu-backend.ts';
import type { PolicyState } from '../engine/policy.ts';
import { cpuIsFaster, softwareAdapterName } from '../worker/backend-choice.ts';

/**
 * The backend, and a note for stderr saying in words which device trains and
 * why ("auto" on a software adapter trains on the CPU, as the page does).
 */
export async function createCliBackend(pref: Config['backend'], state: PolicyState, config: Config): Promise<{ backend: Backend; notice: string | null }> {
  if (pref === 'cpu') return { backend: new CpuBackend(state), notice: null };
  // Loaded only when asked for: the CPU path never touches the GPU bindings.
  const { probeNodeGpu } = await import('../gpu/node-gpu.ts');
  const { selectBackend } = await import('../gpu/select.ts');
  const probed = await probeNodeGpu();
  const software = probed.adapterInfo ? softwareAdapterName(probed.adapterInfo) : null;
  if (pref === 'auto' && probed.gpu && cpuIsFaster(software, config)) {
    const candidates = config.batch_prompts * config.num_generations;
    return {
      backend: new CpuBackend(state),
      notice: `training on the CPU: the only WebGPU adapter is ${probed.adapter}, slower than the CPU engine at ${candidates} candidates a step (use --backend webgpu to train on it anyway)`,
    };
  }
  const selected = await selectBackend(pref, state, probed.gpu, probed.reason ?? undefined);
  if (selected.backend.kind === 'webgpu' && probed.adapter) return { ...selected, notice: selected.notice ?? `training on WebGPU: ${probed.adapter}` };
  return selected;
}
