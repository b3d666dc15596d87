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

/** A pooled buffer may serve a request up to this many times smaller than itself. */
export const REUSE_RATIO = 2;

/**
 * The pooled size a request for a `size` bucket takes: its own bucket when one is idle, else the
 * smallest idle one up to REUSE_RATIO times larger (undefined: allocate). Reusing larger buffers
 * keeps a model whose values come in many sizes (Swin's stages) from pooling one set per size.
 */
export function reusableSize(idle: Iterable<number>, size: number): number | undefined {
  let best: number | undefined;
  for (const s of idle) if (s >= size && s <= size * REUSE_RATIO && (best === undefined || s < best)) best = s;
  return best;
}

/** A pool of storage buffers (STORAGE | COPY_SRC | COPY_DST), reused by size bucket. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private pooledBytes = 0;
  private liveTotal = 0;

  constructor(private readonly device: GPUDevice) {}

  get liveCount(): number {
    return this.live.size;
  }

  get bytesInPool(): number {
    return this.pooledBytes;
  }

  /** Bytes of the buffers handed out and not yet released. */
  get liveBytes(): number {
    return this.liveTotal;
  }

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = bucketSize(bytes);
    const idle = [...this.free].filter(([, list]) => list.length > 0).map(([s]) => s);
    const reuse = reusableSize(idle, size);
    let buffer = reuse === undefined ? undefined : this.free.get(reuse)!.pop();
    if (buffer) {
      this.pooledBytes -= buffer.size;
    } else {
      buffer = this.device.createBuffer({ size, usage: STORAGE, label });
    }
    this.live.add(buffer);
    this.liveTotal += buffer.size;
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
    this.liveTotal -= buffer.size;
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
    this.liveTotal = 0;
  }
}
