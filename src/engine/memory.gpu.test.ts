import { describe, expect, it } from 'vitest';
import { BufferPool } from '../gpu/buffers.ts';
import { createGpuContext } from '../gpu/device.ts';
import { decodeModel } from '../onnx/decode.ts';
import { decodeModelSource } from '../onnx/decode-source.ts';
import { memorySource } from '../onnx/byte-source.ts';
import { isLazyTensor } from '../onnx/lazy-tensor.ts';
import { constantStore } from './constants.ts';
import { isViewOp } from './gpu-ops.ts';
import { valueFootprint } from './plan.ts';
import { GpuModel } from './session.ts';

const bytes = async (name: string) => new Uint8Array(await (await fetch(`/tools/fixtures/${name}`)).arrayBuffer());
const json = async (name: string) => (await (await fetch(`/tools/fixtures/${name}`)).json()) as { inputs: Record<string, number[]> };
const ref = await json('swin_tiny_op17.ref.json');
const vitRef = await json('vit_tiny_op17.ref.json');

describe('the engine\'s memory', () => {
  it('pools the value buffers valueFootprint predicts for a run, and reuses a larger idle buffer', async () => {
    // A device of its own, so the pool starts empty.
    const ctx = await createGpuContext();
    const model = decodeModel(await bytes('swin_tiny_op17.onnx'));
    const g = new GpuModel(ctx, model);
    const pixels = Float32Array.from(ref.inputs['3']);
    await g.run({ pixel_values: pixels }, 3);
    const predicted = valueFootprint(g.plan(3), isViewOp);
    // Kernel scratch comes from the pool too: the pool holds at least the values, and not much more.
    expect(ctx.buffers.bytesInPool).toBeGreaterThanOrEqual(predicted.pooled);
    expect(ctx.buffers.bytesInPool).toBeLessThan(predicted.pooled * 1.5);
    expect(ctx.buffers.liveBytes).toBe(0);
    expect(predicted.peak).toBeLessThanOrEqual(predicted.pooled);
    // Pieces of one image: the pool a fresh device needs for them is a third, or less.
    expect(g.imagesPerRun(valueFootprint(g.plan(1), isViewOp).pooled, 3)).toBe(1);
    expect(g.imagesPerRun(Infinity, 3)).toBe(3);
    g.dispose();
    const pool = new BufferPool(ctx.device);
    const big = pool.acquire(1 << 20);
    pool.release(big);
    expect(pool.acquire(600_000)).toBe(big);
    const other = pool.acquire(100_000);
    expect(other).not.toBe(big);
    pool.destroyAll();
    ctx.device.destroy();
  });

  it('streams a lazily read model\'s weights to the GPU and gives the same logits', async () => {
    const ctx = await createGpuContext();
    const file = await bytes('vit_tiny_op17.onnx');
    const eager = decodeModel(file);
    const lazy = decodeModelSource(memorySource(file), { lazyFrom: 1024 });
    expect([...lazy.graph.initializers.values()].filter(isLazyTensor).length).toBeGreaterThan(5);
    const pixels = Float32Array.from(vitRef.inputs['3']);
    const run = async (m: typeof eager) => {
      const g = new GpuModel(ctx, m);
      const out = (await g.run({ pixel_values: pixels }, 3)).outputs.logits.data;
      const held = constantStore(ctx).bytes;
      g.dispose();
      return { out: Array.from(out), held };
    };
    const a = await run(eager);
    const b = await run(lazy);
    expect(b.out).toEqual(a.out);
    expect(b.held).toBe(a.held);
    expect(constantStore(ctx).bytes).toBe(0);
    ctx.device.destroy();
  });
});
