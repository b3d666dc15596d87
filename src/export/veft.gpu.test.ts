import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { gpuForTests } from '../gpu/testing.ts';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantizeModel } from '../quant/pipeline/quantize.ts';
import { adaroundReconstructor } from '../quant/reconstruction/adaround/pipeline-adapter.ts';
import type { ProgressEvent } from '../quant/report.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../quant/settings.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { simulatedModel } from '../quant/simulation/simulate.ts';
import { exportOnnx } from './export.ts';
import { exportSourceOf } from './source.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3 }, { pixels: Float32Array.from(ref.inputs['1']), count: 1 }];
const settings: QuantizeSettings = {
  ...DEFAULT_SETTINGS, method: 'defakeq', candidates: [4], avgBits: 10, actBits: 6, error: 'paper', weightRange: 'minmax', iters: 5, reconImages: 4,
  veft: true, veftFraction: 0.1, veftEpochs: 8,
};
const logits = (m: Model) => {
  const input = m.graph.inputs[0].name;
  const out = runReference(m, { [input]: { dtype: 'float32', dims: [3, 3, 32, 32], data: Float64Array.from(ref.inputs['3']) } }, { ops: { ...onnxOps, ...quantReferenceOps } });
  return out.outputs[m.graph.outputs[0].name].data;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('VEFT (stage veft): restored input channels, tuned and exported as simulated', () => {
  it('restores ceil(rho K) channels per block layer, tunes with L_rec + L_ver, and the file computes the simulation', async () => {
    const ctx = await gpuForTests();
    const events: ProgressEvent[] = [];
    const result = await quantizeModel(ctx, model, { calibration }, settings, {
      reconstruct: adaroundReconstructor(ctx), onProgress: (e) => e.stage === 'veft' && events.push(e),
    });
    const { report } = result;
    expect(report.completed).toContain('veft');
    const restored = report.layers.filter((l) => l.restoredChannels);
    expect(restored.map((l) => l.name).every((n) => n.startsWith('blocks.'))).toBe(true);
    expect(restored).toHaveLength(8);
    expect(report.veft!.restoredChannels).toBe(restored.reduce((s, l) => s + l.restoredChannels!, 0));
    expect(report.veft!.restoredChannels).toBeGreaterThan(0);
    expect(report.veft!.blocks.map((b) => b.block)).toEqual(['blocks.0', 'blocks.1']);
    for (const b of report.veft!.blocks) expect(b.kept === 'tuned' ? b.after < b.before : Number.isFinite(b.before)).toBe(true);
    const terms = report.veft!.lossCurve.map((p) => p.terms);
    expect(terms.length).toBeGreaterThan(2);
    expect(terms.every((t) => Number.isFinite(t.reconstruction) && Number.isFinite(t.contrastive))).toBe(true);
    expect(events.at(-1)!.step).toBe(events[0].total);
    expect(events[0].total).toBe(2 * 8);
    // The progress events stream the curve while the stage runs: every record of each block, once.
    expect(events.flatMap((e) => e.losses ?? [])).toEqual(report.veft!.lossCurve);
    for (const block of ['blocks.0', 'blocks.1']) expect(report.veft!.lossCurve.filter((p) => p.block === block).map((p) => p.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(events.some((e) => e.losses?.some((p) => p.block === 'blocks.0') && e.step < e.total)).toBe(true);

    const source = exportSourceOf(result.model, result, { fileName: 'm.onnx', sha256: '', bytes: 1 });
    expect([...source.restored!.values()].every((c) => c.length > 0)).toBe(true);
    const file = decodeModel(exportOnnx(result.model, source, { target: 'wasm' }).bytes);
    const simulated = logits(result.simulated);
    expect(maxDiff(logits(file), simulated)).toBeLessThan(1e-5);
    // The restored branches matter: without them the simulation differs.
    const layers = analyzeModel(result.model).layers.filter((l) => result.plan.layers.has(l.name));
    const without = simulatedModel(result.model, layers, { ...result.plan, restored: undefined });
    expect(maxDiff(logits(without), simulated)).toBeGreaterThan(1e-4);
  });

  it('cancelled while tuning, keeps the fixed set restored and an exportable model', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    const result = await quantizeModel(ctx, model, { calibration }, { ...settings, veftEpochs: 400 }, {
      reconstruct: adaroundReconstructor(ctx), signal: controller.signal, onProgress: (e) => e.stage === 'veft' && e.step > 0 && controller.abort(),
    });
    expect(result.report.cancelled).toBe(true);
    expect(result.report.completed).not.toContain('veft');
    expect(result.report.veft!.restoredChannels).toBeGreaterThan(0);
    // The points streamed before the stop stay in the report.
    expect(result.report.veft!.lossCurve.length).toBeGreaterThan(0);
    const source = exportSourceOf(result.model, { ...result, report: { ...result.report, cancelled: false } }, { fileName: 'm.onnx', sha256: '', bytes: 1 });
    const file = decodeModel(exportOnnx(result.model, source, { target: 'wasm' }).bytes);
    expect(maxDiff(logits(file), logits(result.simulated))).toBeLessThan(1e-5);
  });
});
