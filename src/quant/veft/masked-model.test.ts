import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReference } from '../../engine/cpu/executor.ts';
import { analyzeModel } from '../../model/summary.ts';
import { decodeModel } from '../../onnx/decode.ts';
import type { Model } from '../../onnx/ir.ts';
import { onnxOps } from '../../onnx/ops/index.ts';
import { quantReferenceOps } from '../simulation/fake-quant-op.ts';
import { paramsForRange } from '../simulation/quantizer.ts';
import { simulatedModel, type SimulationPlan } from '../simulation/simulate.ts';
import { channelMask, maskedModel } from './masked-model.ts';

const file = join(import.meta.dirname, '../../../tools/fixtures/vit_tiny_op17.onnx');
const model = decodeModel(new Uint8Array(readFileSync(file)), { fileName: 'vit_tiny_op17.onnx' });
const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
const block = layers.filter((l) => l.name.startsWith('blocks.0.'));
const B = 2;
const pixels = { dtype: 'float32' as const, dims: [B, 3, 32, 32], data: Float64Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.fround(Math.sin(i * 0.37))) };
const plan: SimulationPlan = {
  layers: new Map(layers.map((l) => [l.name, { bits: 4 }])),
  activations: new Map(layers.map((l) => [l.input, paramsForRange(-3, 3, 6)])),
};
const fixed = new Map([...new Set(block.map((l) => l.input))].map((t, i) => [t, [1, 3 + i]]));
const ops = { ...onnxOps, ...quantReferenceOps };

function logits(m: Model, masks: Record<string, Float32Array> = {}, K = new Map<string, number>()): Float64Array {
  const extra = Object.keys(masks).map((name) => ({ name, dtype: 'float32' as const, shape: [B, 1, K.get(name)!] }));
  const withInputs = { ...m, graph: { ...m.graph, inputs: [...m.graph.inputs, ...extra] } };
  const feeds = Object.fromEntries(Object.entries(masks).map(([name, data]) => [name, { dtype: 'float32' as const, dims: [B, 1, K.get(name)!], data: Float64Array.from(data) }]));
  const out = runReference(withInputs, { [m.graph.inputs[0].name]: pixels, ...feeds }, { ops });
  return out.outputs[m.graph.outputs[0].name].data as Float64Array;
}

describe("VEFT's masked block", () => {
  const masked = maskedModel(simulatedModel(model, layers, plan), model, block, fixed, () => 3, false);
  const K = new Map(masked.masks.flatMap((m) => [[m.keep, m.inFeatures], [m.restore, m.inFeatures]] as const));
  const masksFor = (extra: number[]) => Object.fromEntries(masked.masks.flatMap((m) => {
    const channels = [...fixed.get(m.tensor)!, ...extra];
    const one = (invert: boolean) => Array.from({ length: B }, () => [...channelMask(m.inFeatures, channels, invert)]).flat();
    return [[m.keep, Float32Array.from(one(true))], [m.restore, Float32Array.from(one(false))]];
  }));

  it('with the fixed set computes what the simulation with restored channels does (and the export)', () => {
    expect(masked.masks.map((m) => m.tensor)).toEqual([...fixed.keys()]);
    const expected = logits(simulatedModel(model, layers, { ...plan, restored: { channels: fixed, half: false } }));
    const got = logits(masked.model, masksFor([]), K);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    const allQuantized = logits(simulatedModel(model, layers, plan));
    expect(Math.max(...got.map((v, i) => Math.abs(v - allQuantized[i])))).toBeGreaterThan(1e-4);
  });

  it('keeps the layers with restored channels as byte codes, not as float copies of their weights', () => {
    const restored = simulatedModel(model, layers, { ...plan, restored: { channels: fixed, half: false } });
    const dequantizers = new Set(restored.graph.nodes.filter((n) => n.opType === 'DequantizeWeight').map((n) => n.name));
    for (const l of block) {
      expect(dequantizers.has(`${l.name}/weight_dequantize`)).toBe(true);
      expect(restored.graph.initializers.get(l.weight)).toBe(model.graph.initializers.get(l.weight));
    }
  });

  it('restores further channels where the masks say so', () => {
    const fixedOnly = logits(masked.model, masksFor([]), K);
    const more = logits(masked.model, masksFor([0, 7]), K);
    expect(Math.max(...more.map((v, i) => Math.abs(v - fixedOnly[i])))).toBeGreaterThan(1e-5);
  });
});
