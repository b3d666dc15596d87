import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import type { Reconstructor } from '../reconstruction/types.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { quantizeModel } from './quantize.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3 }];

describe('a run over its stage budget', () => {
  it('runs DeFakeQ scaled to the budget: the diagonal error model, nearest rounding, the SQNR on one image, all in the report', async () => {
    const ctx = await gpuForTests();
    let reconstructed = 0;
    const reconstruct: Reconstructor = async (job) => (reconstructed++, job.weight);
    const settings = { ...DEFAULT_SETTINGS, candidates: [3, 4, 8], avgBits: 6, computeBudget: 1e-6 };
    const { report } = await quantizeModel(ctx, model, { calibration }, settings, { reconstruct });
    expect(report.budget!.scaled).toEqual([
      { setting: 'error', from: 'logits', to: 'diagonal' },
      { setting: 'iters', from: 300, to: 0 },
      { setting: 'veftEpochs', from: 100, to: 0 },
    ]);
    expect(report.settings.error).toBe('diagonal');
    expect(report.allocation!.error).toBe('diagonal');
    // VEFT still restores its channels (counted in the budget), untuned.
    expect(report.completed).toEqual(['calibrate', 'score', 'allocate', 'veft', 'evaluate']);
    expect(report.veft!.lossCurve).toEqual([]);
    expect(reconstructed).toBe(0);
    expect(report.budget!.sqnrImages).toBe(1);
    expect(report.layers.every((l) => l.sqnr !== null && Number.isFinite(l.sqnr))).toBe(true);
    // Each layer has the range the diagonal table found better at its width.
    expect(new Set(report.layers.map((l) => l.range)).size).toBeGreaterThan(0);
    expect(report.budget!.costs!.calibrate).toBe(3 * report.budget!.perImage!);
    // Without a budget the same settings run as given.
    const free = await quantizeModel(ctx, model, { calibration }, { ...settings, computeBudget: null, error: 'noise', iters: 1 }, { reconstruct });
    expect(free.report.budget!.scaled).toEqual([]);
    expect(free.report.completed).toContain('reconstruct');
  });
});
