import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReference } from '../engine/cpu/executor.ts';
import { decodeModel } from '../onnx/decode.ts';
import { encodeModel } from '../onnx/encode.ts';
import type { Model } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { compactModel } from './compact.ts';
import { syntheticQuantization } from './testing.ts';
import { writeQuantizedModel, type WeightFormat } from './writer.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });

function image(batch: number): { data: Float64Array; dims: number[] } {
  const dims = [batch, 3, 32, 32];
  return { dims, data: Float64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37) * 1.7)) };
}

function logits(model: Model, x: { data: Float64Array; dims: number[] }): number[] {
  const input = model.graph.inputs[0].name;
  return Array.from(runReference(lowerForEngine(model), { [input]: { dtype: 'float32', dims: x.dims, data: x.data } }).outputs[model.graph.outputs[0].name].data);
}

describe('graph compaction keeps what the exported model computes', () => {
  const cases: [string, WeightFormat, number | null][] = [
    ['vit_tiny_op17.onnx', 'auto', 8],
    ['deit_tiny_distilled_op13.onnx', 'nbits', null],
    ['swin_tiny_op17.onnx', 'qdq', 8],
  ];
  for (const [file, format, actBits] of cases) {
    it(`${file} (${format}, ${actBits ?? 'float'} activations): same logits at batch 1, 2 and 3, a smaller file, names as promised`, () => {
      const model = load(file);
      const x = image(2);
      const q = syntheticQuantization(model, x.data, x.dims, [2, 4, 8], actBits, false);
      const written = writeQuantizedModel({ model, layers: q.codes, activations: q.activations, metadata: { method: 'rtn', settings: DEFAULT_SETTINGS } }, { target: 'wasm', format }).model;
      const { model: compact, summary } = compactModel(written);
      // Through the encoder and back, as the file is read.
      const reread = decodeModel(encodeModel(compact));
      for (const batch of [1, 2, 3]) expect(logits(reread, image(batch)), `batch ${batch}`).toEqual(logits(written, image(batch)));

      expect(encodeModel(compact).length).toBeLessThan(encodeModel(written).length);
      expect(summary.foldedValues + summary.reshapeTargets).toBeGreaterThan(0);
      // A class token's batch-dependent Expand no longer needs shape plumbing (Swin has no class token).
      expect(summary.batchExpands).toBe(file.startsWith('swin') ? 0 : file.startsWith('deit') ? 2 : 1);
      expect(summary.removedNodes).toBeGreaterThan(0);
      expect(compact.graph.nodes.length).toBeLessThan(written.graph.nodes.length);
      expect(compact.graph.nodes.filter((n) => n.opType === 'Shape').length).toBeLessThan(written.graph.nodes.filter((n) => n.opType === 'Shape').length);
      // Graph inputs, outputs and the weights' initializers keep their names; intermediate values are short.
      expect(compact.graph.inputs.map((i) => i.name)).toEqual(written.graph.inputs.map((i) => i.name));
      expect(compact.graph.outputs.map((o) => o.name)).toEqual(written.graph.outputs.map((o) => o.name));
      const weights = [...written.graph.initializers.keys()].filter((name) => name.endsWith('_quantized')).map((name) => name.slice(0, -'_quantized'.length));
      expect(weights.length).toBe(q.codes.length);
      for (const W of weights) for (const part of ['quantized', 'scale', 'zero_point']) expect(compact.graph.initializers.has(`${W}_${part}`), `${W}_${part}`).toBe(true);
      const produced = compact.graph.nodes.flatMap((n) => n.outputs).filter((o) => !compact.graph.outputs.some((g) => g.name === o));
      expect(Math.max(...produced.map((o) => o.length))).toBeLessThanOrEqual(3);
      const named = compact.graph.nodes.map((n) => n.name).filter(Boolean);
      expect(new Set(named).size).toBe(named.length);
      for (const n of compact.graph.nodes.filter((m) => m.opType === 'DequantizeLinear' && compact.graph.initializers.has(m.inputs[0]) && m.inputs[0].endsWith('_quantized'))) {
        expect(n.name).toBe(`${n.inputs[0].replace(/_quantized$/, '')}_DequantizeLinear`);
      }
      // Activation entries in the metadata name tensors that exist in the compacted graph.
      const activations = JSON.parse(compact.metadata['defakeq.activations']) as { tensor: string }[];
      const values = new Set([...compact.graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...compact.graph.inputs.map((i) => i.name)]);
      for (const a of activations) expect(values.has(a.tensor), a.tensor).toBe(true);
      expect(activations.length > 0).toBe(actBits !== null);
    });
  }

  it('turns batch-dependent Reshape targets into constants with 0 for the batch entry', () => {
    const model = load('vit_tiny_op17.onnx');
    const x = image(1);
    const q = syntheticQuantization(model, x.data, x.dims, [4], null, false);
    const written = writeQuantizedModel({ model, layers: q.codes, activations: q.activations }, { target: 'wasm', format: 'qdq' }).model;
    const { model: compact, summary } = compactModel(written);
    expect(summary.reshapeTargets).toBeGreaterThan(0);
    const targets = compact.graph.nodes.filter((n) => n.opType === 'Reshape').map((n) => compact.graph.initializers.get(n.inputs[1]));
    expect(targets.some((t) => t && t.data[0] === 0)).toBe(true);
  });
});
