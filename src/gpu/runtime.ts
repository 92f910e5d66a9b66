/**
 * One GPU runtime per worker: a device and a pipeline cache shared by every
 * lane's backend (each lane keeps its own buffers). Pipelines are cached by
 * their composed source (generated header + libraries + kernel), as jax-js's
 * ShaderPipelineCache is, so three lanes of one policy shape compile each
 * kernel once, and a Reset to the same shape compiles nothing.
 *
 * The device lives while a backend holds it: `acquire` per backend, `release`
 * on dispose; the last release destroys it (Node does not exit while a Dawn
 * device is alive). A lost device drops out of the shared table, so a
 * replacement backend gets a fresh one.
 */
import { createGpuDevice, type GpuDevice } from './device.ts';
import { compileKernelSets, type Kernel, type KernelSet, type KernelSetSpec } from './kernels.ts';
import type { ShaderSources } from './shaders.ts';

export class GpuRuntime {
  private readonly pipelines = new Map<string, Promise<Kernel>>();
  private users = 0;
  private destroyed = false;
  /** Pipelines compiled since creation (the tests check that lanes share them). */
  compiled = 0;

  /** True once the device is lost: a lost runtime is never handed out again (sharedRuntime makes a new one). */
  lost = false;

  private constructor(readonly gd: GpuDevice) {
    void gd.lost.then(() => {
      this.lost = true;
    });
  }

  /** Whether a new backend can still use it. */
  get usable(): boolean {
    return !this.lost && !this.destroyed;
  }

  static async create(gpu: GPU): Promise<GpuRuntime> {
    return new GpuRuntime(await createGpuDevice(gpu));
  }

  get device(): GPUDevice {
    return this.gd.device;
  }

  acquire(): void {
    if (this.destroyed) throw new Error('GpuRuntime: used after its device was destroyed');
    if (this.lost) throw new Error('GpuRuntime: its device was lost');
    this.users++;
  }

  /**
   * The last release destroys the device a moment later (after the current
   * task), so lanes created together, one of which gives up at once, or a
   * rebuild that disposes the old lanes as the new ones start, keep it.
   */
  release(): void {
    if (--this.users > 0 || this.destroyed || this.closing) return;
    this.closing = true;
    setTimeout(() => {
      this.closing = false;
      if (this.users > 0 || this.destroyed) return;
      this.destroyed = true;
      forget(this);
      this.gd.device.destroy();
    }, 0);
  }

  private closing = false;

  /** The kernels of some sets (shared, policy model's): cached pipelines where the source is the same, the rest compiled together. */
  async kernels(sets: readonly KernelSetSpec[], sources: ShaderSources): Promise<KernelSet[]> {
    const set = compileKernelSets(this.gd.device, sets, sources, (key) => this.pipelines.get(key));
    for (const [key, pending] of set.compiling) {
      this.compiled++;
      this.pipelines.set(key, pending);
      // A kernel that failed to compile is not kept: the next attempt reports it again.
      pending.catch(() => this.pipelines.delete(key));
    }
    return set.kernels;
  }
}

const shared = new Map<GPU, Promise<GpuRuntime>>();

/**
 * The worker's (or process's) runtime on `gpu`, created on first use, and
 * created again when the one it had is lost or destroyed (a replacement
 * backend after a device loss gets the new device, shared with the other
 * lanes that recover).
 */
export async function sharedRuntime(gpu: GPU): Promise<GpuRuntime> {
  const existing = shared.get(gpu);
  if (existing) {
    const r = await existing.catch(() => null);
    if (r?.usable) return r;
    if (shared.get(gpu) === existing) shared.delete(gpu);
    return sharedRuntime(gpu);
  }
  return newShared(gpu);
}

function newShared(gpu: GPU): Promise<GpuRuntime> {
  let runtime = shared.get(gpu);
  if (!runtime) {
    runtime = GpuRuntime.create(gpu);
    shared.set(gpu, runtime);
    runtime.then(
      (r) => void r.gd.lost.then(() => forget(r)),
      () => shared.delete(gpu),
    );
  }
  return runtime;
}

function forget(runtime: GpuRuntime): void {
  for (const [gpu, r] of shared) {
    void r.then((value) => {
      if (value === runtime && shared.get(gpu) === r) shared.delete(gpu);
    });
  }
}
