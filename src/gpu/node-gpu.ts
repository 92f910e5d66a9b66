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

async function probe(): Promise<NodeGpu> {
  let webgpu: { create(options: string[]): GPU; globals: object };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (e) {
    return { gpu: null, reason: `the "webgpu" npm package could not be loaded (${(e as Error).message}); run npm install` };
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
  const first = webgpu.create([]);
  if (await hasAdapter(first)) return { gpu: first, reason: null };

  const { existsSync } = await import('node:fs');
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    // The Vulkan loader reads this when an instance is created, so a new instance picks it up.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const retry = webgpu.create([]);
    if (await hasAdapter(retry)) return { gpu: retry, reason: 'no GPU adapter; using SwiftShader (software Vulkan from the chromium package)' };
  }
  return {
    gpu: null,
    reason:
      'no WebGPU adapter: no usable Vulkan driver was found. On Debian/Ubuntu without a GPU, ' +
      '`apt-get install chromium libvulkan1` provides SwiftShader, which is then used automatically',
  };
}

async function hasAdapter(gpu: GPU): Promise<boolean> {
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
