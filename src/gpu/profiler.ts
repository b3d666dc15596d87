import type { GpuContext } from './device.ts';

export interface KernelTiming {
  label: string;
  ms: number;
  /** Operations the pass did, when its kernel counted them; else 0. */
  flops: number;
}

// GPUBufferUsage.QUERY_RESOLVE | COPY_SRC, and MAP_READ | COPY_DST
const RESOLVE = 0x200 | 0x04;
const STAGING = 0x01 | 0x08;

/**
 * GPU-side timing of compute passes with timestamp queries. Only constructed when the
 * device has 'timestamp-query'; `TimestampProfiler.create` returns null otherwise.
 */
/** Time and counted operations of one kernel label within one tag (e.g. a pipeline stage). */
export interface KernelTotal {
  tag: string;
  label: string;
  ms: number;
  flops: number;
  passes: number;
}

export class TimestampProfiler {
  private readonly labels: string[] = [];
  private readonly flops: number[] = [];
  private readonly tags: string[] = [];
  private readonly running = new Map<string, KernelTotal>();
  private readonly pending: Promise<void>[] = [];
  /** Recorded with every pass from now on (drain() sums by it): e.g. the pipeline stage running. */
  tag = '';

  private constructor(
    private readonly ctx: GpuContext,
    private readonly querySet: GPUQuerySet,
    private readonly capacity: number,
  ) {}

  static create(ctx: GpuContext, capacity = 256): TimestampProfiler | null {
    if (!ctx.hasTimestamps) return null;
    const querySet = ctx.device.createQuerySet({ type: 'timestamp', count: capacity * 2 });
    return new TimestampProfiler(ctx, querySet, capacity);
  }

  get full(): boolean {
    return this.labels.length >= this.capacity;
  }

  /** Passes that can still be recorded before drain() or read(). */
  get room(): number {
    return this.capacity - this.labels.length;
  }

  /** Timestamp writes for the next pass, or undefined once the query set is full. */
  nextPass(label: string, flops = 0): GPUComputePassTimestampWrites | undefined {
    if (this.full) return undefined;
    const i = this.labels.push(label) - 1;
    this.flops.push(flops);
    this.tags.push(this.tag);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Resolve all recorded passes (submit their work first) and reset. */
  async read(): Promise<KernelTiming[]> {
    const n = this.labels.length;
    if (n === 0) return [];
    const stamps = await this.resolveStamps(n);
    const timings = this.labels.map((label, i) => ({ label, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6, flops: this.flops[i] }));
    this.labels.length = 0;
    this.flops.length = 0;
    this.tags.length = 0;
    return timings;
  }

  /**
   * Moves the passes recorded so far (their work submitted) into running totals per tag and label,
   * resolving them on the GPU in the background, and frees the query set for more. totals() waits.
   */
  drain(): void {
    const n = this.labels.length;
    if (n === 0) return;
    const stamped = this.resolveStamps(n);
    const passes = this.labels.map((label, i) => ({ label, flops: this.flops[i], tag: this.tags[i] }));
    this.labels.length = 0;
    this.flops.length = 0;
    this.tags.length = 0;
    this.pending.push(stamped.then((stamps) => {
      passes.forEach(({ label, flops, tag }, i) => {
        const key = `${tag}\u0000${label}`;
        const t = this.running.get(key) ?? { tag, label, ms: 0, flops: 0, passes: 0 };
        t.ms += Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
        t.flops += flops;
        t.passes++;
        this.running.set(key, t);
      });
    }));
  }

  /** The first n passes' begin/end timestamps, resolved and copied back (the copy is submitted now). */
  private async resolveStamps(n: number): Promise<BigInt64Array> {
    const bytes = n * 2 * 8;
    const { device } = this.ctx;
    const resolve = device.createBuffer({ size: bytes, usage: RESOLVE });
    const staging = device.createBuffer({ size: bytes, usage: STAGING });
    const encoder = device.createCommandEncoder();
    encoder.resolveQuerySet(this.querySet, 0, n * 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.destroy();
    resolve.destroy();
    return stamps;
  }

  /** Every pass drained so far (and those recorded since, submitted), summed per tag and label. */
  async totals(): Promise<KernelTotal[]> {
    this.drain();
    await Promise.all(this.pending.splice(0));
    return [...this.running.values()];
  }

  destroy(): void {
    this.querySet.destroy();
  }
}

/** Sum timings by label, e.g. to report time per kernel family. */
export function totalsByLabel(timings: KernelTiming[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const t of timings) totals.set(t.label, (totals.get(t.label) ?? 0) + t.ms);
  return totals;
}
