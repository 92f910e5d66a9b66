/** Backend choice for the headless trainer (Node): the CPU engine, or WebGPU through Dawn's Node bindings. */
import type { Backend } from '../engine/backend.ts';
import type { Config } from '../engine/config.ts';
import { CpuBackend } from '../engine/cpu-backend.ts';
import type { PolicyState } from '../engine/policy.ts';

export async function createCliBackend(pref: Config['backend'], state: PolicyState): Promise<{ backend: Backend; notice: string | null }> {
  if (pref === 'cpu') return { backend: new CpuBackend(state), notice: null };
  // Loaded only when asked for: the CPU path never touches the GPU bindings.
  const { probeNodeGpu } = await import('../gpu/node-gpu.ts');
  const { selectBackend } = await import('../gpu/select.ts');
  const { gpu, reason } = await probeNodeGpu();
  return selectBackend(pref, state, gpu, reason ?? undefined);
}
