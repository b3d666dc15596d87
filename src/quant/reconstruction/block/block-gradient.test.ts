import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../../gpu/testing.ts';
import { blockBoundary } from '../../../grad/blocks.ts';
import { squaredErrorReference } from '../../../grad/losses.ts';
import { referenceBackward, referenceForward } from '../../../grad/reference.ts';
import { regionFor } from '../../../grad/testing.ts';
import { refOf } from '../../../grad/rule.ts';
import { runReference } from '../../../engine/cpu/executor.ts';
import { analyzeModel } from '../../../model/summary.ts';
import { decodeModel } from '../../../onnx/decode.ts';
import { onnxOps } from '../../../onnx/ops/index.ts';
import { prepareLayer } from '../adaround/problem.ts';
import { chainToV, regulariser, softWeight, type RoundingProblem } from '../adaround/reference.ts';

const FILE = 'vit_tiny_op13.onnx';
const fixtures = join(import.meta.dirname, '../../../../tools/fixtures');

describe('block reconstruction loss: d/dV through a whole block (float64) against central differences', () => {
  it(`${FILE} blocks.0, 3 bits: (1/rows)‖y(W~(V)) − target‖² + α Σ reg(V)`, () => {
    const model = decodeModel(new Uint8Array(readFileSync(join(fixtures, FILE))));
    const structure = analyzeModel(model);
    const layers = structure.layers.filter((l) => structure.blocks[0].layers.includes(l.name));
    const { inputs, outputs } = blockBoundary(model, 'blocks.0');
    const ref = JSON.parse(readFileSync(join(fixtures, FILE.replace('.onnx', '.ref.json')), 'utf8')) as { inputs: Record<string, number[]> };
    const pixels = { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float64Array.from(ref.inputs['1']) };
    const taps = runReference(model, { pixel_values: pixels }, { taps: [inputs[0], outputs[0]] }).taps;
    const x = taps.get(inputs[0])!;
    const target = taps.get(outputs[0])!;
    const region = regionFor(model, { inputs: [{ name: inputs[0], dims: x.dims }], outputs, parameters: layers });
    const problems = new Map(layers.map((l) => {
      const p = prepareLayer(model.graph.initializers.get(l.weight)!.data as Float32Array, l.layout as 'KxN' | 'NxK', l.outFeatures, l.inFeatures, 3);
      const rp: RoundingProblem = { N: p.N, K: p.K, R: 1, bits: 3, base: p.base, scales: p.scales, zeros: p.zeros, x: [], y: [] };
      return [l.name, { rp, v: Float64Array.from(p.v0, (v, i) => v + 0.8 * randomFloats(1, i + 3)[0]) }];
    }));
    const alpha = 0.01;
    const beta = 4;
    const loss = () => {
      const weights = new Map([...problems].map(([n, { rp, v }]) => [n, softWeight(rp, v)]));
      const y = referenceForward(region, onnxOps, { [inputs[0]]: x }, weights).get(outputs[0])!;
      const rec = squaredErrorReference(y.data, target.data, y.dims);
      return { value: rec.loss + alpha * [...problems.values()].reduce((s, { v }) => s + regulariser(v, beta), 0), grad: rec.grad, weights, y };
    };
    const at = loss();
    const values = referenceForward(region, onnxOps, { [inputs[0]]: x }, at.weights);
    const grads = referenceBackward(region, values, new Map([[outputs[0], refOf(at.y.dims, at.grad)]]), at.weights);
    let checked = 0;
    for (const [name, { rp, v }] of problems) {
      const analytic = chainToV(rp, v, grads.parameters.get(name)!, alpha, beta);
      const direction = randomFloats(v.length, name.length);
      const keep = Float64Array.from(v);
      const h = 1e-6;
      const along = (d: ArrayLike<number>) => {
        v.forEach((_, i) => (v[i] = keep[i] + h * d[i]));
        const up = loss().value;
        v.forEach((_, i) => (v[i] = keep[i] - h * d[i]));
        const down = loss().value;
        v.set(keep);
        return (up - down) / (2 * h);
      };
      const numeric = along(direction);
      const predicted = direction.reduce((s, d, i) => s + d * analytic[i], 0);
      expect(Math.abs(predicted - numeric), name).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      expect(Math.abs(numeric)).toBeGreaterThan(1e-4);
      const i = analytic.findIndex((g) => Math.abs(g) > 1e-3);
      const unit = new Float64Array(v.length);
      unit[i] = 1;
      expect(Math.abs(analytic[i] - along(unit)), `${name}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(analytic[i])));
      checked++;
    }
    expect(checked).toBe(4);
  });
});
