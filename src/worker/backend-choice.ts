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
    return pref === 'webgpu' ? `WebGPU — ${adapter} (chosen in the config)` : `WebGPU — ${adapter}`;
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

/**
 * Candidates per step (prompts × generations) from which a software adapter may beat the CPU engine. Below it
 * the CPU engine is faster: in headless Chromium on SwiftShader the default run (256 candidates) made 53 steps/s
 * on WebGPU against 2,370 on the CPU. The largest size `npm run bench` measures.
 */
export const SOFTWARE_GPU_MIN_CANDIDATES = 65_536;

/** A WebGPU adapter that is the CPU in disguise (SwiftShader, llvmpipe, WARP), by the adapter's own info. */
export function softwareAdapterName(info: Partial<Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'description' | 'device'>> & { isFallbackAdapter?: boolean }): string | null {
  const text = [info.vendor, info.architecture, info.description, info.device].filter(Boolean).join(' ');
  const known = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/i.exec(text);
  if (known) return known[0].toLowerCase() === 'swiftshader' ? 'SwiftShader' : known[0];
  return info.isFallbackAdapter ? 'a fallback adapter' : null;
}

/** Whether "auto" should train on the CPU although an adapter exists: a software adapter and a run too small to gain from it. */
export function cpuIsFaster(software: string | null, config: Pick<Config, 'batch_prompts' | 'num_generations'> | undefined): boolean {
  if (!software) return false;
  const candidates = config ? config.batch_prompts * config.num_generations : 0;
  return candidates < SOFTWARE_GPU_MIN_CANDIDATES;
}

export async function chooseBackend(
  pref: Config['backend'],
  state: PolicyState,
  onNotice?: (message: string) => void,
  config?: Config,
): Promise<{ backend: Backend; badge: string }> {
  const gpu = typeof navigator !== 'undefined' ? ((navigator as Navigator & { gpu?: GPU }).gpu ?? null) : null;
  // Asked first so the badge can say it in three words rather than relay the adapter request's details.
  const reason = pref === 'cpu' ? null : await webgpuUnavailableReason(gpu);
  if (pref === 'auto' && !reason && gpu) {
    const adapter = await gpu.requestAdapter().catch(() => null);
    const info = adapter ? { ...(adapter.info ?? {}), isFallbackAdapter: (adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter } : null;
    const software = info ? softwareAdapterName(info) : null;
    if (cpuIsFaster(software, config)) {
      const { backend } = await selectBackend('cpu', state, null);
      const candidates = config ? config.batch_prompts * config.num_generations : 0;
      return { backend, badge: `CPU — faster here: WebGPU is ${software}, a software GPU, and this run samples ${candidates.toLocaleString('en')} answers a step` };
    }
  }
  const { backend, notice } = await selectBackend(pref, state, reason ? null : gpu, reason ?? undefined, { onNotice });
  return { backend, badge: badgeFor(backend, notice, pref) };
}
