/** The GPU layer (src/gpu) under real work: it lives here because that work is an engine kernel. */
import { describe, expect, it } from 'vitest';
import { matmulOnGpu, recordMatmul } from './kernels/matmul.ts';
import { GpuDeviceLostError, GpuSession } from '../gpu/device.ts';
import { CommandBatch } from '../gpu/encoder.ts';
import { TimestampProfiler, totalsByLabel } from '../gpu/profiler.ts';
import { readFloat32 } from '../gpu/readback.ts';
import { gpuForTests, randomFloats } from '../gpu/testing.ts';

describe('the GPU layer', () => {
  it('asks for the adapter limits explicitly and reports them', async () => {
    const ctx = await gpuForTests();
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.adapter.limits.maxStorageBufferBindingSize);
    expect(ctx.summary.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
  });

  it('reuses pooled buffers of a similar size', async () => {
    const ctx = await gpuForTests();
    const a = ctx.buffers.acquire(1000);
    ctx.buffers.release(a);
    const b = ctx.buffers.acquire(900);
    expect(b).toBe(a);
    ctx.buffers.release(b);
  });

  it('times kernels with timestamp queries', async () => {
    const ctx = await gpuForTests();
    const profiler = TimestampProfiler.create(ctx);
    expect(profiler).not.toBeNull();
    const a = ctx.buffers.upload(randomFloats(64 * 64, 1));
    const out = ctx.buffers.acquire(64 * 64 * 4);
    const batch = new CommandBatch(ctx, profiler);
    for (let i = 0; i < 3; i++) recordMatmul(ctx, batch, a, a, out, { M: 64, K: 64, N: 64 });
    batch.submit();
    const timings = await profiler!.read();
    expect(timings.map((t) => t.label)).toEqual(['matmul', 'matmul', 'matmul']);
    expect(timings.every((t) => t.ms >= 0)).toBe(true);
    expect(totalsByLabel(timings).get('matmul')).toBeGreaterThan(0);
    // The product is still right when each dispatch is its own timed pass.
    const got = await readFloat32(ctx, out, 4);
    const again = await matmulOnGpu(ctx, randomFloats(64 * 64, 1), randomFloats(64 * 64, 1), { M: 64, K: 64, N: 64 });
    expect(Array.from(got)).toEqual(Array.from(again.subarray(0, 4)));
    ctx.buffers.release(a);
    ctx.buffers.release(out);
  });

  it("a context's profiler times every batch, resolving itself when full, with counted flops per tag", async () => {
    const ctx = await gpuForTests();
    const profiler = TimestampProfiler.create(ctx, 4)!;
    const a = ctx.buffers.upload(randomFloats(8 * 13, 2));
    const out = ctx.buffers.acquire(8 * 8 * 4);
    ctx.profiler = profiler;
    try {
      for (const tag of ['calibrate', 'calibrate', 'evaluate']) {
        profiler.tag = tag;
        const batch = new CommandBatch(ctx); // no profiler of its own: the context's
        for (let i = 0; i < 3; i++) recordMatmul(ctx, batch, a, a, out, { M: 8, K: 13, N: 8, transB: true }); // K odd: the ragged kernel
        batch.submit(); // 3 passes: the second and third batch find the profiler short of room
      }
    } finally {
      ctx.profiler = null;
    }
    const totals = await profiler.totals();
    const of = (tag: string) => totals.find((t) => t.tag === tag && t.label === 'matmul-ragged')!;
    expect(of('calibrate').passes).toBe(6);
    expect(of('evaluate').passes).toBe(3);
    expect(of('calibrate').flops).toBe(6 * 2 * 8 * 8 * 13);
    expect(of('evaluate').ms).toBeGreaterThanOrEqual(0);
    profiler.destroy();
    ctx.buffers.release(a);
    ctx.buffers.release(out);
  });

  it('orders copies between dispatches, including one after the last', async () => {
    const ctx = await gpuForTests();
    const a = ctx.buffers.upload(Float32Array.from([1, 2, 3, 4]));
    const out = ctx.buffers.acquire(16);
    const first = ctx.buffers.acquire(16);
    const last = ctx.buffers.acquire(16);
    const batch = new CommandBatch(ctx);
    recordMatmul(ctx, batch, a, a, out, { M: 2, K: 2, N: 2 });
    batch.copy(out, first, 16);
    recordMatmul(ctx, batch, out, a, out === first ? a : last, { M: 2, K: 2, N: 2 });
    batch.copy(last, out, 16);
    batch.submit();
    expect(Array.from(await readFloat32(ctx, first, 4))).toEqual([7, 10, 15, 22]);
    expect(Array.from(await readFloat32(ctx, out, 4))).toEqual([37, 54, 81, 118]);
    for (const b of [a, out, first, last]) ctx.buffers.release(b);
  });

  it('notices a lost device, refuses work until recovered, then works again', async () => {
    const session = await GpuSession.open();
    const messages: string[] = [];
    session.onLost((m) => messages.push(m));
    const device = session.context.device;
    device.destroy();
    await device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(session.isLost).toBe(true);
    expect(messages).toHaveLength(1);
    expect(() => session.context).toThrow(GpuDeviceLostError);
    const ctx = await session.recover();
    const out = await matmulOnGpu(ctx, Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 0, 0, 1]), { M: 2, K: 2, N: 2 });
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    session.close();
  });

  it('fails work in flight with a clear device-lost error', async () => {
    const session = await GpuSession.open();
    const ctx = session.context;
    const pending = matmulOnGpu(ctx, randomFloats(256 * 256, 2), randomFloats(256 * 256, 3), { M: 256, K: 256, N: 256 });
    ctx.device.destroy();
    await expect(pending).rejects.toThrow(GpuDeviceLostError);
    await expect(pending).rejects.toThrow(/GPU device was lost/);
  });
});
