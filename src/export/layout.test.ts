import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { allocateExact } from '../quant/allocation/exact.ts';
import { allocateRelaxed } from '../quant/allocation/relaxed.ts';
import { paperErrorModel } from '../quant/allocation/error-models.ts';
import { quantizableLayers } from '../quant/layers.ts';
import { uniformBits } from '../quant/allocation/uniform.ts';
import { layerCostOf } from '../storage/cost.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { exportOnnx } from './export.ts';
import { exportCost, layerLayout, layerShapes, nbitsLayout, qdqLayout, type WeightFormat } from '../storage/layout.ts';
import { syntheticQuantization } from './testing.ts';
import { tensorBytes } from './writer.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });
const input = (batch: number) => {
  const dims = [batch, 3, 32, 32];
  return { dims, data: Float64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37))) };
};

describe('export layout: the budget prices each layer at exactly the bytes the writer emits', () => {
  const cases: [string, WeightFormat[]][] = [
    ['vit_tiny_op17.onnx', ['qdq', 'nbits', 'auto']],
    ['deit_tiny_distilled_op13.onnx', ['qdq', 'nbits', 'auto']],
    ['swin_tiny_op17.onnx', ['qdq', 'auto']],
  ];
  for (const [file, formats] of cases) {
    it(`${file}: every width 2..8 in ${formats.join(', ')}`, () => {
      const model = load(file);
      const layers = quantizableLayers(model);
      const x = input(1);
      for (const format of formats) for (const floatParams of ['fp32', 'fp16'] as const) {
        const cost = exportCost(layerShapes(model, layers, floatParams), format);
        const pipelineCost = layerCostOf(model, layers, { storage: 'export', exportFormat: format, floatParams });
        for (let bits = 2; bits <= 8; bits++) {
          const q = syntheticQuantization(model, x.data, x.dims, [bits], null, false);
          const { bytes, written } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: { ...DEFAULT_SETTINGS, floatParams } }, { target: 'wasm', format });
          const reread = decodeModel(bytes);
          layers.forEach((l, i) => {
            const where = `${format} ${floatParams} ${bits}-bit ${l.name}`;
            // What the file really holds for the layer: its codes, scales and zero points as decoded, and its bias.
            const inFile = ['quantized', 'scale', 'zero_point'].reduce((s, part) => s + tensorBytes(reread.graph.initializers.get(`${l.weight}_${part}`)), 0)
              + (l.bias ? tensorBytes(reread.graph.initializers.get(l.bias) ?? reread.graph.initializers.get(`${l.bias}_float16`)) : 0);
            expect(written.layers[i].name, where).toBe(l.name);
            expect(written.layers[i].bytes, where).toBe(inFile);
            expect(cost(i, bits), where).toBe(8 * inFile);
            expect(pipelineCost(i, bits), where).toBe(8 * inFile);
            expect(written.layers[i].format.startsWith('MatMulNBits'), where).toBe(layerLayout(layerShapes(model, [l])[0], bits, format).format === 'nbits');
          });
        }
      }
    });
  }

  it("'auto' takes the smaller format: MatMulNBits for 2-bit matmuls with K = 96, DequantizeLinear at 4 and 8 bits, Conv always DequantizeLinear", () => {
    const shape = { N: 384, K: 96, biasCount: 384, nbits: true };
    expect(nbitsLayout(shape, 2).bytes).toBeLessThan(qdqLayout(shape, 2).bytes);
    expect(layerLayout(shape, 2, 'auto').format).toBe('nbits');
    expect(layerLayout(shape, 4, 'auto').format).toBe('qdq');
    expect(layerLayout(shape, 8, 'auto').format).toBe('qdq');
    expect(layerLayout({ ...shape, nbits: false }, 2, 'auto').format).toBe('qdq');
    expect(layerLayout({ ...shape, nbits: false }, 2, 'nbits').format).toBe('qdq');
    // 3 bits cost what 4 do, 6 what 8 do: the containers.
    expect(layerLayout(shape, 3, 'auto').bytes).toBe(layerLayout(shape, 4, 'auto').bytes);
    expect(layerLayout(shape, 6, 'auto').bytes).toBe(layerLayout(shape, 8, 'auto').bytes);
  });

  it('with export costs the allocator never picks a width that is stored no cheaper than the next, and reports the stored average', () => {
    const model = load('vit_tiny_op17.onnx');
    const layers = quantizableLayers(model);
    const cost = layerCostOf(model, layers, { storage: 'export', exportFormat: 'auto' });
    const storage = layers.map((l) => ({ params: l.inFeatures * l.outFeatures, outFeatures: l.outFeatures, biasCount: l.params - l.inFeatures * l.outFeatures }));
    const params = storage.reduce((s, l) => s + l.params, 0);
    const scores = layers.map((_, i) => 1 + ((i * 7) % 5));
    const uniformAt = (b: number) => layers.reduce((s, _, l) => s + cost(l, b), 0) / params;
    for (const budget of [uniformAt(2) + 0.2, uniformAt(4), (uniformAt(4) + uniformAt(8)) / 2, uniformAt(8) - 0.1]) {
      for (const solve of [allocateExact, allocateRelaxed]) {
        const a = solve({ layers: storage, scores, budget, cost, error: paperErrorModel() });
        expect(a.bits.some((b) => b === 3 || b === 6), `${budget} ${solve.name}`).toBe(false);
        const stored = a.bits.reduce((s, b, l) => s + cost(l, b), 0);
        expect(a.averageBits).toBeCloseTo(stored / params, 12);
        expect(stored).toBeLessThanOrEqual(budget * params);
      }
    }
    // Uniform methods: the widest width whose stored cost fits.
    const b = uniformBits(layers, [2, 3, 4, 6, 8], uniformAt(4), cost);
    expect(b).toBe(4);
    expect(uniformBits(layers, [2, 3, 4, 6, 8], uniformAt(4) - 1e-3, cost)).toBe(2);
  });
});
