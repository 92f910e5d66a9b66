/** Backend choice for the headless trainer (Node). */
import type { Backend } from '../engine/backend.ts';
import type { Config } from '../engine/config.ts';
import { CpuBackend } from '../engine/cpu-backend.ts';
import type { PolicyState } from '../engine/policy.ts';

export async function createCliBackend(pref: Config['backend'], state: PolicyState): Promise<{ backend: Backend; notice: string | null }> {
  if (pref === 'cpu') return { backend: new CpuBackend(state), notice: null };
  return { backend: new CpuBackend(state), notice: 'WebGPU backend not available in this build; using the CPU engine' };
}
