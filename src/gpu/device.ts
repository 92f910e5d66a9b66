/**
 * Device set-up in one place: adapter, device with the adapter's buffer-size
 * limits, a workgroup size derived from the limits, and the `lost` /
 * `uncapturederror` wiring the backend relies on.
 */

export interface GpuDevice {
  device: GPUDevice;
  /** Human name of the adapter, e.g. "swiftshader (Google)". */
  adapterName: string;
  /** Invocations per workgroup, from the device limits (a power of two ≤ 256). */
  workgroupSize: number;
  /** Resolves when the device is lost (destroyed, driver reset, ...). */
  lost: Promise<GPUDeviceLostInfo>;
  /** The first uncaptured WebGPU error (a bug in the backend), if any. */
  firstError(): string | null;
}

export class NoAdapterError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NoAdapterError';
  }
}

export async function createGpuDevice(gpu: GPU): Promise<GpuDevice> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new NoAdapterError('WebGPU is available but no adapter was found (requestAdapter returned null)');
  const limits = adapter.limits;
  // Ask for the adapter's full buffer sizes: the defaults (128/256 MiB) would cap policies the adapter can hold.
  const device = await adapter.requestDevice({
    label: 'rft-playground',
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    },
  });
  let first: string | null = null;
  device.addEventListener('uncapturederror', (event) => {
    first ??= (event as GPUUncapturedErrorEvent).error.message;
  });
  const info = adapter.info;
  const name = [info.architecture || info.device || info.description, info.vendor ? `(${info.vendor})` : ''].filter(Boolean).join(' ');
  return {
    device,
    adapterName: name || 'unknown adapter',
    workgroupSize: workgroupSizeFor(device.limits),
    lost: device.lost,
    firstError: () => first,
  };
}

/** The largest power of two ≤ 256 that the limits allow for a 1-D workgroup. */
export function workgroupSizeFor(limits: GPUSupportedLimits): number {
  const cap = Math.min(256, limits.maxComputeWorkgroupSizeX, limits.maxComputeInvocationsPerWorkgroup);
  let size = 1;
  while (size * 2 <= cap) size *= 2;
  return size;
}
