/**
 * One submit: everything the host uploads goes into one arena written with a
 * single queue.writeBuffer; every dispatch and copy goes into one command
 * encoder; every readback is a copy into one staging buffer mapped once. The
 * backend collects work here between flushes, so an update and the next
 * sample share one submit and one blocking readback.
 */
import type { Kernel } from './kernels.ts';

/** Uniform and storage offsets must be multiples of this (WebGPU's minimum for both). */
const ALIGN = 256;

export interface BufferRange {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

/** A range of the arena, placed when the submission is flushed. */
export interface ArenaRange {
  arena: true;
  offset: number;
  size: number;
}

export type Binding = GPUBuffer | BufferRange | ArenaRange;

type Op =
  | { kind: 'dispatch'; kernel: Kernel; params: ArenaRange; bindings: Binding[]; groups: number }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }
  | { kind: 'clear'; buffer: GPUBuffer; offset: number; size: number }
  | { kind: 'readback'; src: GPUBuffer; srcOffset: number; size: number; stagingOffset: number };

/** Field of a uniform parameter block: a u32 or an f32, in struct order. */
export type Param = ['u', number] | ['f', number];

export class Submission {
  private bytes = new Uint8Array(64 * 1024);
  private used = 0;
  private readonly ops: Op[] = [];
  private stagingSize = 0;
  /** What was queued ("sample", "update", ...), for profiles. */
  readonly contents: string[] = [];
  readonly readers: { stagingOffset: number; size: number; resolve(data: ArrayBuffer): void; reject(e: unknown): void }[] = [];

  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** Copies `data` into the arena; returns its range. */
  upload(data: ArrayBufferView): ArenaRange {
    const size = Math.max(16, align(data.byteLength, 16));
    const offset = this.reserve(size);
    this.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return { arena: true, offset, size };
  }

  params(fields: Param[]): ArenaRange {
    const block = new ArrayBuffer(fields.length * 4);
    const u = new Uint32Array(block);
    const f = new Float32Array(block);
    fields.forEach(([type, value], i) => {
      if (type === 'u') u[i] = value >>> 0;
      else f[i] = value;
    });
    return this.upload(new Uint8Array(block));
  }

  /**
   * Dispatches `kernel` with its uniforms and buffers by the names its WGSL
   * declares; a missing or unknown name is an error here, not a wrong number
   * in a shader.
   */
  run(kernel: Kernel, uniforms: Record<string, number>, buffers: Record<string, Binding>, groups: number): void {
    const { iface } = kernel;
    const where = `shaders/${kernel.file}.wgsl`;
    const fields: Param[] = iface.uniforms.map((u) => {
      const value = uniforms[u.name];
      if (value === undefined) throw new Error(`${where}: uniform ${u.name} not given`);
      return [u.type, value];
    });
    const bindings = iface.bindings.map((b) => {
      const buffer = buffers[b.name];
      if (buffer === undefined) throw new Error(`${where}: buffer ${b.name} not given`);
      return buffer;
    });
    for (const name of Object.keys(uniforms)) if (!iface.uniforms.some((u) => u.name === name)) throw new Error(`${where}: has no uniform ${name}`);
    for (const name of Object.keys(buffers)) if (!iface.bindings.some((b) => b.name === name)) throw new Error(`${where}: has no binding ${name}`);
    this.dispatch(kernel, this.params(fields), bindings, groups);
  }

  dispatch(kernel: Kernel, params: ArenaRange, bindings: Binding[], groups: number): void {
    if (groups > 0) this.ops.push({ kind: 'dispatch', kernel, params, bindings, groups });
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.ops.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
  }

  clear(buffer: GPUBuffer, offset = 0, size = buffer.size): void {
    this.ops.push({ kind: 'clear', buffer, offset, size });
  }

  /** Copies `size` bytes of `src` back to the host; resolves after the flush's single map. */
  readback(src: GPUBuffer, srcOffset: number, size: number): Promise<ArrayBuffer> {
    const stagingOffset = this.stagingSize;
    this.stagingSize += align(size, 8);
    this.ops.push({ kind: 'readback', src, srcOffset, size, stagingOffset });
    return new Promise((resolve, reject) => this.readers.push({ stagingOffset, size, resolve, reject }));
  }

  get readbackBytes(): number {
    return this.stagingSize;
  }

  /**
   * Writes the arena (one queue write) and encodes every op in order into one
   * command buffer; the caller submits it and maps `staging` once.
   */
  encode(device: GPUDevice, arena: GPUBuffer, staging: GPUBuffer | null, maxGroupsPerDim: number): GPUCommandBuffer {
    if (this.used > 0) device.queue.writeBuffer(arena, 0, this.bytes, 0, this.used);
    const encoder = device.createCommandEncoder({ label: 'training step' });
    let pass: GPUComputePassEncoder | null = null;
    const endPass = () => {
      pass?.end();
      pass = null;
    };
    for (const op of this.ops) {
      if (op.kind === 'dispatch') {
        pass ??= encoder.beginComputePass({ label: 'kernels' });
        const entries = [op.params, ...op.bindings].map((b, binding): GPUBindGroupEntry => ({ binding, resource: resolve(b, arena) }));
        const group = device.createBindGroup({ label: op.kernel.name, layout: op.kernel.layout, entries });
        pass.setPipeline(op.kernel.pipeline);
        pass.setBindGroup(0, group);
        const x = Math.min(op.groups, maxGroupsPerDim);
        pass.dispatchWorkgroups(x, Math.ceil(op.groups / x));
        continue;
      }
      endPass();
      if (op.kind === 'copy') encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
      else if (op.kind === 'clear') encoder.clearBuffer(op.buffer, op.offset, op.size);
      else encoder.copyBufferToBuffer(op.src, op.srcOffset, staging!, op.stagingOffset, op.size);
    }
    endPass();
    return encoder.finish();
  }

  get arenaBytes(): number {
    return this.used;
  }

  private reserve(size: number): number {
    const offset = align(this.used, ALIGN);
    if (offset + size > this.bytes.length) {
      let capacity = this.bytes.length;
      while (offset + size > capacity) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.used = offset + size;
    return offset;
  }
}

function resolve(b: Binding, arena: GPUBuffer): GPUBufferBinding {
  if ('arena' in b) return { buffer: arena, offset: b.offset, size: b.size };
  if ('mapAsync' in b) return { buffer: b };
  return { buffer: b.buffer, offset: b.offset ?? 0, size: b.size };
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** A few MAP_READ buffers reused across steps; a busy one is never waited for, another is made. */
export class StagingPool {
  private free: GPUBuffer[] = [];
  constructor(private readonly device: GPUDevice) {}

  acquire(size: number): GPUBuffer {
    const i = this.free.findIndex((b) => b.size >= size);
    if (i >= 0) return this.free.splice(i, 1)[0];
    return this.device.createBuffer({ label: 'staging', size: align(Math.max(size, 256), 256), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  release(buffer: GPUBuffer): void {
    if (this.free.length < 4) this.free.push(buffer);
    else buffer.destroy();
  }
}
