import type { GpuContext } from '../gpu/device.ts';
import type { Tensor } from '../onnx/ir.ts';
import { LazyTensor, valuesOnce } from '../onnx/lazy-tensor.ts';

// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as numbers so that Node can import this module.
const STORAGE = 0x80 | 0x04 | 0x08;

/**
 * Bytes written to the queue before waiting for the GPU to take them: queue.writeBuffer stages
 * its data until the work is submitted and done, so uploading a whole model at once would hold
 * the weights twice.
 */
export const UPLOAD_CHUNK_BYTES = Number(globalThis.process?.env?.UPLOAD_CHUNK ?? 8) * 1024 * 1024;
/** Pieces a weight is copied from its file in (engine/constants.ts streams lazily read tensors). */
const STREAM_BYTES = 1 << 20;

interface Entry {
  buffer: GPUBuffer;
  users: number;
  bytes: number;
}

/**
 * The weights on the GPU, one buffer per initializer tensor shared by every GpuModel of a context:
 * the float model, its simulated quantized models and the slices reconstruction runs all read the
 * same buffers for the tensors they share (a simulated model replaces only what it quantizes).
 * Keyed by the Tensor object, which the IR never mutates (a changed weight is a new Tensor);
 * a buffer is destroyed when the last model using it is disposed.
 */
export class ConstantStore {
  private readonly entries = new Map<Tensor, Entry>();
  private held = 0;
  private pending = 0;
  private scratch: Uint8Array | null = null;

  constructor(private readonly ctx: GpuContext) {}

  /** Bytes of weights on the GPU now. */
  get bytes(): number {
    return this.held;
  }

  has(t: Tensor): boolean {
    return this.entries.has(t);
  }

  /** The tensor's buffer, uploaded on first use; each call must be matched by one release. */
  async acquire(t: Tensor, label: string): Promise<GPUBuffer> {
    const found = this.entries.get(t);
    if (found) {
      found.users++;
      return found.buffer;
    }
    const streamed = t instanceof LazyTensor && t.raw !== null && !t.resident;
    const data = streamed ? null : deviceArray({ name: t.name, dtype: t.dtype, data: valuesOnce(t) });
    const buffer = data ? createFilled(this.ctx, data, label) : this.createEmpty(t.dims.reduce((a, b) => a * b, 1) * 4, label);
    const entry = { buffer, users: 1, bytes: buffer.size };
    this.entries.set(t, entry);
    this.held += entry.bytes;
    if (data) await this.pace(data.byteLength);
    else await this.stream(t as LazyTensor & { raw: NonNullable<LazyTensor['raw']> }, buffer);
    return buffer;
  }

  private createEmpty(bytes: number, label: string): GPUBuffer {
    return this.ctx.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE, label });
  }

  /** The tensor's bytes from its file to the buffer a piece at a time, through one reused scratch array. */
  private async stream(t: LazyTensor & { raw: NonNullable<LazyTensor['raw']> }, buffer: GPUBuffer): Promise<void> {
    const { source, offset } = t.raw;
    for (let at = 0; at < t.storedBytes; at += STREAM_BYTES) {
      const n = Math.min(STREAM_BYTES, t.storedBytes - at);
      let chunk: Uint8Array;
      if (source.readInto) {
        chunk = (this.scratch ??= new Uint8Array(STREAM_BYTES)).subarray(0, n);
        source.readInto(offset + at, chunk);
      } else chunk = source.read(offset + at, n);
      this.ctx.device.queue.writeBuffer(buffer, at, chunk.buffer as ArrayBuffer, chunk.byteOffset, Math.ceil(n / 4) * 4);
      await this.pace(n);
    }
  }

  release(t: Tensor): void {
    const entry = this.entries.get(t);
    if (!entry || --entry.users > 0) return;
    entry.buffer.destroy();
    this.entries.delete(t);
    this.held -= entry.bytes;
  }

  /** Waits for the GPU to take what was written once a chunk's worth is pending. */
  async pace(bytes: number): Promise<void> {
    this.pending += bytes;
    if (this.pending < UPLOAD_CHUNK_BYTES) return;
    this.pending = 0;
    this.ctx.device.queue.submit([]);
    await this.ctx.device.queue.onSubmittedWorkDone();
  }
}

const stores = new WeakMap<GpuContext, ConstantStore>();

export function constantStore(ctx: GpuContext): ConstantStore {
  let store = stores.get(ctx);
  if (!store) stores.set(ctx, (store = new ConstantStore(ctx)));
  return store;
}

function isFloat(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'float64' || dtype === 'bfloat16';
}

/** The values as the GPU holds them: f32 for every float dtype, i32 (clamped) for the rest. */
export function deviceArray(t: Pick<Tensor, 'dtype' | 'data' | 'name'>): Float32Array | Int32Array {
  const data = t.data;
  if (Array.isArray(data)) throw new TypeError(`tensor "${t.name}": string tensors cannot go to the GPU`);
  if (isFloat(t.dtype)) return data instanceof Float32Array ? data : Float32Array.from(data);
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-2147483648, Math.min(2147483647, data[i]!));
  return out;
}

/** A storage buffer holding `data` (rounded up to 16 bytes). */
export function createFilled(ctx: GpuContext, data: Float32Array | Int32Array, label: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  if (globalThis.process?.env?.MAPPED) {
    const buffer = ctx.device.createBuffer({ size, usage: STORAGE, label, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
    return buffer;
  }
  const buffer = ctx.device.createBuffer({ size, usage: STORAGE, label });
  ctx.device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  return buffer;
}
