import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../onnx/decode.ts';
import { runReference } from './executor.ts';

const fixturesDir = join(import.meta.dirname, '../../../tools/fixtures');
const models = readdirSync(fixturesDir).filter((f) => /_op\d+\.onnx$/.test(f)).sort();

interface FixtureRef {
  input_shape: number[];
  inputs: Record<string, number[]>;
  ort: Record<string, number[]>;
}

describe('float64 reference executor on the exporter fixtures', () => {
  it('finds the fixtures', () => {
    expect(models.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of models) {
    it(`${file}: logits match onnxruntime at batch 1 and 3 within 1e-4`, () => {
      const bytes = new Uint8Array(readFileSync(join(fixturesDir, file)));
      const model = decodeModel(bytes, { fileName: file });
      const ref = JSON.parse(readFileSync(join(fixturesDir, file.replace(/\.onnx$/, '.ref.json')), 'utf8')) as FixtureRef;
      const input = model.graph.inputs[0].name;
      const output = model.graph.outputs[0].name;
      for (const batch of [1, 3]) {
        const data = Float64Array.from(ref.inputs[String(batch)]);
        const { outputs } = runReference(model, { [input]: { dtype: 'float32', dims: [batch, ...ref.input_shape], data } });
        const logits = outputs[output];
        const expected = ref.ort[String(batch)];
        expect(logits.dims).toEqual([batch, expected.length / batch]);
        let maxDiff = 0;
        expected.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(logits.data[i] - v))));
        expect(maxDiff, `batch ${batch}`).toBeLessThan(1e-4);
      }
    });
  }
});
