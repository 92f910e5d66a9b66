/**
 * WebGPU in Node through the `webgpu` npm package (Dawn). On a machine without
 * a GPU Dawn needs a Vulkan driver it accepts; Debian's chromium package ships
 * SwiftShader's, so when no adapter is found and that file exists we point the
 * Vulkan loader at it ourselves and try again: nothing for the user to set.
 */

/** Where Debian's chromium package installs SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeGpu {
  gpu: GPU | null;
  /** Why `gpu` is null (or which fallback was used); null when a hardware adapter was found directly. */
  reason: string | null;
  /** The adapter in words, when there is one. */
  adapter?: string;
  /** What the adapter says of itself, for telling a software renderer from a GPU. */
  adapterInfo?: ProbedAdapter;
}

let cached: Promise<NodeGpu> | null = null;

/** The GPU object, or null with the reason; cached for the process. */
export async function getNodeGpu(): Promise<GPU | null> {
  return (await probeNodeGpu()).gpu;
}

/** Like getNodeGpu, with the reason to show when it is null. */
export function probeNodeGpu(): Promise<NodeGpu> {
  cached ??= probe();
  return cached;
}

/** What a probe found: an adapter's description, or nothing. */
export interface ProbedAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** Asks for an adapter in a child process (gpu-probe.mjs) with `env`, so Dawn's native warnings never reach our stderr. */
async function probeInChild(env: NodeJS.ProcessEnv): Promise<{ adapter: ProbedAdapter | null; noisy: boolean }> {
  const { execFile } = await import('node:child_process');
  const script = new URL('./gpu-probe.mjs', import.meta.url);
  return new Promise((resolve) => {
    execFile(process.execPath, [script.pathname], { env, timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = String(stdout).trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as { adapter: ProbedAdapter | null };
        resolve({ adapter: parsed.adapter, noisy: String(stderr).trim() !== '' });
      } catch {
        resolve({ adapter: null, noisy: true });
      }
      void error;
    });
  });
}

/** "SwiftShader (Google, a software renderer)", "NVIDIA GeForce RTX 3060": the adapter in words. */
export function describeAdapter(a: ProbedAdapter): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'an unnamed adapter';
  const software = a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(`${a.architecture} ${a.description} ${a.vendor}`);
  return software ? `${name} (a software renderer on the CPU, no GPU)` : name;
}

async function probe(): Promise<NodeGpu> {
  let webgpu: { create(options: string[]): GPU; globals: object };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (e) {
    return { gpu: null, reason: `the "webgpu" npm package could not be loaded (${(e as Error).message.split('\n')[0]}); run npm install` };
  }
  // GPUBufferUsage, GPUMapMode, ... are globals in a browser; Dawn exports them.
  Object.assign(globalThis, webgpu.globals);
  if (!process.env.XDG_RUNTIME_DIR) {
    // Vulkan's window-system code prints "XDG_RUNTIME_DIR is invalid" on every instance when this is
    // unset (as for root or in CI); a private temporary folder keeps the trainer's stderr readable.
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'rft-xdg-'));
  }
  // The machine's own drivers first; then SwiftShader (from Debian's chromium package) when they give
  // nothing, or give an adapter only with warnings. The set-up that works quietly is then used here.
  const { existsSync } = await import('node:fs');
  const own = await probeInChild(process.env);
  let chosen: { adapter: ProbedAdapter; swiftshader: boolean } | null = own.adapter && !own.noisy ? { adapter: own.adapter, swiftshader: false } : null;
  if (!chosen && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    const soft = await probeInChild({ ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    if (soft.adapter) chosen = { adapter: soft.adapter, swiftshader: true };
  }
  // Warnings or not, a working adapter beats none.
  if (!chosen && own.adapter) chosen = { adapter: own.adapter, swiftshader: false };
  if (!chosen) {
    return {
      gpu: null,
      reason:
        'no WebGPU adapter: no usable Vulkan driver was found. On Debian/Ubuntu without a GPU, ' +
        '`apt-get install chromium libvulkan1` provides SwiftShader, which is then used automatically',
    };
  }
  // The Vulkan loader reads this when an instance is created.
  if (chosen.swiftshader) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const gpu = webgpu.create([]);
  if (!(await hasAdapter(gpu))) return { gpu: null, reason: `no WebGPU adapter in this process, although a probe found ${describeAdapter(chosen.adapter)}` };
  return {
    gpu,
    reason: chosen.swiftshader ? `no GPU adapter; using ${describeAdapter(chosen.adapter)}, from the chromium package's Vulkan driver` : null,
    adapter: describeAdapter(chosen.adapter),
    adapterInfo: chosen.adapter,
  };
}

async function hasAdapter(gpu: GPU): Promise<boolean> {
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
