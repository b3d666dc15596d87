import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { adaroundReconstructor } from '../reconstruction/adaround/pipeline-adapter.ts';
import type { ProgressEvent } from '../report.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../settings.ts';
import { quantizeModel } from './quantize.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3 }, { pixels: Float32Array.from(ref.inputs['1']), count: 1 }];
const settings = (over: Partial<QuantizeSettings>): QuantizeSettings => ({
  ...DEFAULT_SETTINGS, method: 'defakeq', recon: 'block', candidates: [3], avgBits: 10, actBits: 8, error: 'paper', weightRange: 'minmax', iters: 40, reconImages: 4, ...over,
});

describe('the reconstruct stage, block by block (recon block)', () => {
  it('learns each block\'s rounding together below nearest rounding on the block output, with per-iteration progress', async () => {
    const ctx = await gpuForTests();
    const events: ProgressEvent[] = [];
    const { report, plan } = await quantizeModel(ctx, model, { calibration }, settings({}), {
      reconstruct: adaroundReconstructor(ctx), onProgress: (e) => e.stage === 'reconstruct' && events.push(e),
    });
    expect(report.completed).toContain('reconstruct');
    const blocks = report.layers.filter((l) => l.blockLoss);
    // Two blocks of four layers; the patch embedding and the head stay layer-wise (no block loss).
    expect(blocks).toHaveLength(8);
    expect(report.layers.find((l) => l.name === 'head')?.blockLoss).toBeUndefined();
    for (const l of blocks) {
      expect(l.reconstructed).toBe(true);
      expect(l.blockLoss!.learned).toBeLessThan(0.9 * l.blockLoss!.nearest);
    }
    // Progress counts every layer's iterations, and shows steps inside a block.
    const total = events[0].total;
    expect(total).toBe(report.layers.length * 40);
    expect(events.some((e) => e.step > 40 && e.step % 40 !== 0)).toBe(true);
    expect(events.at(-1)!.step).toBe(total);
    // The plan holds the learned rounding, off nearest's.
    expect(blocks.reduce((n, l) => n + l.roundedUp! + l.roundedDown!, 0)).toBeGreaterThan(0);
    expect(blocks.every((l) => plan.layers.get(l.name)?.weight instanceof Float32Array)).toBe(true);
  });

  it('cancelled inside a block, keeps that block at nearest rounding', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    const { report } = await quantizeModel(ctx, model, { calibration }, settings({ iters: 400 }), {
      reconstruct: adaroundReconstructor(ctx), signal: controller.signal,
      onProgress: (e) => e.stage === 'reconstruct' && e.step > 400 && controller.abort(),
    });
    expect(report.cancelled).toBe(true);
    expect(report.layers.filter((l) => l.name.startsWith('blocks.')).every((l) => !l.reconstructed && l.roundedUp === null)).toBe(true);
  });
});
