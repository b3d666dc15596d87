import type { GpuContext } from './device.ts';
import type { TimestampProfiler } from './profiler.ts';

/** One kernel launch: uniforms at @binding(0) when given, storage buffers at the next bindings. */
export interface DispatchSpec {
  pipeline: GPUComputePipeline;
  buffers: GPUBuffer[];
  uniforms?: ArrayBufferView;
  workgroups: [number, number?, number?];
  label?: string;
  /** Floating-point operations the launch does, when its kernel counts them (matrix products): for profiles. */
  flops?: number;
}

const UNIFORM_ALIGN = 256;
// GPUBufferUsage.UNIFORM | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x08;

/**
 * Records many dispatches and submits them as one command buffer. Uniforms of the
 * whole batch share one buffer, written once at submit. Nothing here waits on the GPU.
 */
export class CommandBatch {
  private readonly specs: DispatchSpec[] = [];
  private readonly copies: { index: number; src: GPUBuffer; dst: GPUBuffer; bytes: number; srcOffset: number; dstOffset: number }[] = [];

  private readonly profiler: TimestampProfiler | null;

  /** Passes are timed by `profiler`, else by the context's own when one is set (benchmarks). */
  constructor(
    private readonly ctx: GpuContext,
    profiler: TimestampProfiler | null = null,
  ) {
    this.profiler = profiler ?? ctx.profiler ?? null;
  }

  get length(): number {
    return this.specs.length;
  }

  dispatch(spec: DispatchSpec): this {
    this.specs.push(spec);
    return this;
  }

  /** A buffer-to-buffer copy, ordered after the dispatches recorded so far. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): this {
    this.copies.push({ index: this.specs.length, src, dst, bytes, srcOffset, dstOffset });
    return this;
  }

  submit(): void {
    const { device } = this.ctx;
    // A profiler without room for this batch resolves what it holds first (the work before was submitted).
    if (this.profiler && this.profiler.room < this.specs.length) this.profiler.drain();
    const offsets: number[] = [];
    let total = 0;
    for (const s of this.specs) {
      offsets.push(total);
      if (s.uniforms) total += Math.ceil(s.uniforms.byteLength / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    }
    let uniformBuffer: GPUBuffer | null = null;
    if (total > 0) {
      uniformBuffer = device.createBuffer({ size: total, usage: UNIFORM_USAGE, label: 'batch uniforms' });
      const staging = new Uint8Array(total);
      this.specs.forEach((s, i) => {
        if (s.uniforms) staging.set(new Uint8Array(s.uniforms.buffer, s.uniforms.byteOffset, s.uniforms.byteLength), offsets[i]);
      });
      device.queue.writeBuffer(uniformBuffer, 0, staging);
    }

    const encoder = device.createCommandEncoder();
    let copyIndex = 0;
    let pass: GPUComputePassEncoder | null = null;
    const flushCopies = (upTo: number) => {
      while (copyIndex < this.copies.length && this.copies[copyIndex].index <= upTo) {
        pass?.end();
        pass = null;
        const c = this.copies[copyIndex++];
        encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      }
    };
    this.specs.forEach((s, i) => {
      flushCopies(i);
      const timestampWrites = this.profiler?.nextPass(s.label ?? 'dispatch', s.flops ?? 0);
      if (timestampWrites) {
        pass?.end();
        pass = encoder.beginComputePass({ label: s.label, timestampWrites });
      } else if (!pass) {
        pass = encoder.beginComputePass();
      }
      const entries: GPUBindGroupEntry[] = [];
      let binding = 0;
      if (s.uniforms && uniformBuffer) {
        entries.push({ binding: binding++, resource: { buffer: uniformBuffer, offset: offsets[i], size: s.uniforms.byteLength } });
      }
      for (const buffer of s.buffers) entries.push({ binding: binding++, resource: { buffer } });
      const bindGroup = device.createBindGroup({ layout: s.pipeline.getBindGroupLayout(0), entries });
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1] ?? 1, s.workgroups[2] ?? 1);
      if (timestampWrites) {
        pass.end();
        pass = null;
      }
    });
    flushCopies(Number.POSITIVE_INFINITY);
    (pass as GPUComputePassEncoder | null)?.end();
    device.queue.submit([encoder.finish()]);
    uniformBuffer?.destroy();
    this.specs.length = 0;
    this.copies.length = 0;
  }
}
