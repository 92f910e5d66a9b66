/**
 * Backend for each lane inside the worker (the GPU device lives here, never
 * on the page), and the words of the top bar's badge: the WebGPU adapter's
 * name, or "CPU — why WebGPU is not in use".
 */
import type { Backend } from '../engine/backend.ts';
import type { Config } from '../engine/config.ts';
import type { PolicyState } from '../engine/policy.ts';
import { selectBackend } from '../gpu/select.ts';

/** "WebGPU is not available (no WebGPU adapter); training on the CPU" → "no WebGPU adapter". */
export function cpuReason(notice: string | null, pref: Config['backend']): string {
  if (pref === 'cpu') return 'chosen in the config';
  if (!notice) return 'WebGPU not in use';
  const inParens = /\((.*)\)/.exec(notice);
  return inParens ? inParens[1] : notice;
}

export function badgeFor(backend: Backend, notice: string | null, pref: Config['backend']): string {
  if (backend.kind === 'webgpu') {
    // The backend labels itself "webgpu (adapter name)".
    const adapter = /\((.*)\)/.exec(backend.label)?.[1] ?? backend.label;
    return `WebGPU — ${adapter}`;
  }
  return `CPU — ${cpuReason(notice, pref)}`;
}

/** Why this browser cannot give us a WebGPU adapter, in a few words; null when it can. */
export async function webgpuUnavailableReason(gpu: GPU | null): Promise<string | null> {
  if (!gpu) return 'this browser has no WebGPU';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter';
  } catch (e) {
    return `WebGPU adapter request failed: ${(e as Error).message}`;
  }
}

export async function chooseBackend(
  pref: Config['backend'],
  state: PolicyState,
  onNotice?: (message: string) => void,
): Promise<{ backend: Backend; badge: string }> {
  const gpu = typeof navigator !== 'undefined' ? ((navigator as Navigator & { gpu?: GPU }).gpu ?? null) : null;
  // Asked first so the badge can say it in three words rather than relay the adapter request's details.
  const reason = pref === 'cpu' ? null : await webgpuUnavailableReason(gpu);
  const { backend, notice } = await selectBackend(pref, state, reason ? null : gpu, reason ?? undefined, { onNotice });
  return { backend, badge: badgeFor(backend, notice, pref) };
}
