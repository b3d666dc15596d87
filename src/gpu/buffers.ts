// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as numbers so that Node can import this module.
const STORAGE = 0x80 | 0x04 | 0x08;

/** Round sizes up to a bucket so released buffers are reused by similar requests. */
export function bucketSize(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const pow = 2 ** Math.ceil(Math.log2(bytes));
  // Quarter-steps between powers of two keep the waste under 25%.
  const step = pow / 8;
  return Math.ceil(bytes / step) * step;
}

/** A pool of storage buffers (STORAGE | COPY_SRC | COPY_DST), reused by size bucket. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private pooledBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  get liveCount(): number {
    return this.live.size;
  }

  get bytesInPool(): number {
    return this.pooledBytes;
  }

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage: STORAGE, label });
    }
    this.live.add(buffer);
    return buffer;
  }

  /** Make a buffer holding `data`. */
  upload(data: ArrayBufferView, label?: string): GPUBuffer {
    const buffer = this.acquire(data.byteLength, label);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
    this.pooledBytes += buffer.size;
  }

  /** Drop the idle buffers (for example after a large model is unloaded). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  destroyAll(): void {
    this.trim();
    for (const b of this.live) b.destroy();
    this.live.clear();
  }
}
