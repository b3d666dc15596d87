/**
 * With the export-aware budget (settings.storage 'export'), a run's reported average is the
 * exported file's weight storage, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import { quantizableLayers } from '../quant/layers.ts';
import { quantizeModel } from '../quant/pipeline/quantize.ts';
import type { Reconstructor } from '../quant/reconstruction/types.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../quant/settings.ts';
import { fakeQuantWeight } from '../quant/simulation/simulate.ts';
import { exportOnnx } from './export.ts';
import { exportSourceOf } from './source.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3 }];
// Nearest rounding in place of learned rounding: the allocation, not the rounding, is under test.
const nearest: Reconstructor = async ({ layer, weight, params }) => {
  const dims = model.graph.initializers.get(layer.weight)!.dims;
  return fakeQuantWeight(layer, { name: layer.weight, dtype: 'float32', dims, data: weight }, params);
};

describe('export-aware budget', () => {
  for (const [method, format] of [['defakeq', 'auto'], ['defakeq', 'qdq'], ['rtn', 'auto'], ['defakeq', 'nbits']] as const) {
    it(`${method}, ${format}: reported average = the file's weight bytes x 8 / weights, within the budget, no 3 or 6 bits`, async () => {
      const params = quantizableLayers(model).reduce((s, l) => s + l.inFeatures * l.outFeatures, 0);
      const settings: QuantizeSettings = { ...DEFAULT_SETTINGS, method, error: 'paper', avgBits: 6.5, actBits: null, storage: 'export', exportFormat: format, iters: 1, veftEpochs: 2 };
      const result = await quantizeModel(await gpuForTests(), model, { calibration }, settings, { reconstruct: nearest });
      const bits = result.report.layers.map((l) => l.bits);
      expect(bits.some((b) => b === 3 || b === 6)).toBe(false);
      if (method === 'defakeq') expect(new Set(bits).size).toBeGreaterThan(1);
      const { written } = exportOnnx(result.model, exportSourceOf(result.model, result, { fileName: 'm.onnx', sha256: '0', bytes: 1 }), { target: 'wasm', format });
      const stored = written.layers.reduce((s, l) => s + 8 * l.bytes, 0);
      expect(result.report.avgBits).toBeCloseTo(stored / params, 12);
      expect(result.report.avgBits).toBeLessThanOrEqual(6.5);
      expect(result.report.allocation?.averageBits ?? result.report.avgBits).toBeCloseTo(stored / params, 12);
    });
  }
});
