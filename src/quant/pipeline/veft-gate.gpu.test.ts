import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import { centredLogits, jointLogitErrors } from '../allocation/logit-errors.ts';
import { quantizableLayers } from '../layers.ts';
import type { ProgressEvent } from '../report.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../settings.ts';
import { gateRuns, rankedByValue } from '../veft/gate.ts';
import { quantizeModel } from './quantize.ts';
import { OPS } from './state.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);
const calibration = [{ pixels, count: 3 }];
// Nearest rounding and no tuning: the run's model is then exactly the candidate the gate kept.
const settings: QuantizeSettings = {
  ...DEFAULT_SETTINGS, avgBits: 6, actBits: 4, errorImages: 3, iters: 0, veft: true, veftFraction: 0.1, veftEpochs: 0, veftChannels: 'measured',
};

describe('VEFT\'s measured activations (allocate stage, veft-gate.ts)', () => {
  it('keeps the candidate that moves the logits least, and the run then computes exactly that candidate', async () => {
    const ctx = await gpuForTests();
    const totals: ProgressEvent[] = [];
    const result = await quantizeModel(ctx, model, { calibration }, settings, { onProgress: (e) => e.stage === 'allocate' && totals.push(e) });
    const { report } = result;
    const gate = report.veftGate!;
    expect(gate, report.allocation!.detail).toBeDefined();
    // Two blocks, four activations each read by MatMul layers (qkv, projection, fc1, fc2 inputs).
    expect(gate.activations).toHaveLength(8);
    expect(gate.activations.every((a) => a.cost > 0 && Number.isFinite(a.benefit))).toBe(true);
    const layers = quantizableLayers(model);
    expect(totals.at(-1)!.total).toBe(2 * layers.length * settings.candidates.length + gateRuns(8) + 1);
    expect(totals.at(-1)!.step).toBe(totals.at(-1)!.total);

    // The first candidate has no float channels; the paper's (every activation) bounds the choice from
    // the other side when its columns fit; between them, best-valued prefixes of the ranking.
    const ranked = rankedByValue(gate.activations);
    expect(gate.candidates[0].restoring).toEqual([]);
    const every = gate.candidates.filter((c) => c.restoring.length === 8);
    expect(every).toHaveLength(gate.benefit === 'left out of every activation' ? 1 : 0);
    for (const c of gate.candidates.slice(1)) if (c.restoring.length > 0 && c.restoring.length < 8) expect(c.restoring).toEqual(ranked.slice(0, c.restoring.length));
    for (const c of gate.candidates) expect(c.averageBits).toBeLessThanOrEqual(settings.avgBits);
    const least = Math.min(...gate.candidates.map((c) => c.logitError));
    const kept = gate.candidates[gate.kept];
    expect(kept.logitError).toBe(least);

    // The run restores exactly the kept candidate's activations, and its model moves the logits as measured.
    const restored = new Set(report.layers.filter((l) => (l.restoredChannels ?? 0) > 0).map((l) => layers.find((q) => q.name === l.name)!.input));
    expect([...restored].sort()).toEqual([...kept.restoring].sort());
    expect(report.completed.includes('veft')).toBe(kept.restoring.length > 0);
    const images = { pixels, count: 3, dims: [3, 3, 32, 32] };
    const [error] = await jointLogitErrors(ctx, OPS, await centredLogits(ctx, OPS, result.model, images), [result.simulated], images);
    expect(error).toBeCloseTo(kept.logitError, 6);
    expect(report.allocation!.detail).toContain(`kept ${kept.label}`);
  });

  it('with every activation (the paper), restores all of them and gates nothing', async () => {
    const ctx = await gpuForTests();
    const { report } = await quantizeModel(ctx, model, { calibration }, { ...settings, veftChannels: 'every' });
    expect(report.veftGate).toBeUndefined();
    expect(report.veft!.tensors).toHaveLength(8);
  });
});
