/**
 * A minimal way to run a Submission outside a lane's backend (which owns the
 * arena and staging pool of a training lane): one arena, one command buffer,
 * one submit, one mapped staging buffer, then both destroyed. For the kernel
 * tests and composed passes of src/gpu/transformer/ until the transformer has
 * its own GpuPolicyModel.
 */
import { align, type Submission } from '../submission.ts';

export async function submitOnce(device: GPUDevice, sub: Submission): Promise<void> {
  const arena = device.createBuffer({ label: 'transformer uploads', size: align(Math.max(sub.arenaBytes, 256), 256), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const bytes = sub.readbackBytes;
  const staging = bytes > 0 ? device.createBuffer({ label: 'transformer staging', size: align(bytes, 256), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : null;
  try {
    device.queue.submit([sub.encode(device, arena, staging, device.limits.maxComputeWorkgroupsPerDimension)]);
    if (staging) {
      await staging.mapAsync(GPUMapMode.READ, 0, align(bytes, 8));
      const mapped = staging.getMappedRange(0, align(bytes, 8));
      for (const r of sub.readers) r.resolve(mapped.slice(r.stagingOffset, r.stagingOffset + r.size));
      staging.unmap();
    } else {
      await device.queue.onSubmittedWorkDone();
    }
  } catch (e) {
    for (const r of sub.readers) r.reject(e);
    throw e;
  } finally {
    arena.destroy();
    staging?.destroy();
  }
}

/** A storage buffer holding `data` (f32 or i32), readable back and writable by kernels. */
export function storageBuffer(device: GPUDevice, label: string, data: Float32Array | Int32Array | number): GPUBuffer {
  const size = align(Math.max(16, (typeof data === 'number' ? data : data.length) * 4), 16);
  const buffer = device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, mappedAtCreation: typeof data !== 'number' });
  if (typeof data !== 'number') {
    const view = data instanceof Int32Array ? new Int32Array(buffer.getMappedRange()) : new Float32Array(buffer.getMappedRange());
    view.set(data);
    buffer.unmap();
  }
  return buffer;
}
