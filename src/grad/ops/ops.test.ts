import { describe, expect, it } from 'vitest';
import type { RefTensor } from '../../onnx/ops/types.ts';
import { checkRegionGradients, oneNodeModel, randomRef, regionFor } from '../testing.ts';
import { c, int, OP_CASES, x } from './test-cases.ts';

describe('every backward rule against central differences (float64 reference)', () => {
  for (const k of OP_CASES) {
    it(k.name, () => {
      const { model, spec } = oneNodeModel(k.op, k.inputs, k.attrs, k.outputs, k.opset);
      const region = regionFor(model, spec);
      const feeds: Record<string, RefTensor> = {};
      k.inputs.forEach((input, i) => input && !input.constant && (feeds[`x${i}`] = input.value));
      const check = checkRegionGradients(region, feeds, { seed: k.name.length });
      expect(check.checked).toBeGreaterThan(0);
      expect(check.nonZero).toBeGreaterThan(0);
      expect(check.worst).toBeLessThan(1e-6);
    });
  }

  it('a Split whose unused output has no gradient gives zeros there', () => {
    const { model, spec } = oneNodeModel('Split', [x([3, 2], 70), c([3], [1, 1, 1])], { axis: int(0) }, 3, 13);
    const region = regionFor(model, { ...spec, outputs: ['y0', 'y2'] });
    const check = checkRegionGradients(region, { x0: randomRef([3, 2], 70) });
    expect(check.worst).toBeLessThan(1e-6);
  });

  it('names the node when a gradient must flow through an op without a backward pass', () => {
    const { model, spec } = oneNodeModel('Cos', [x([3], 71)]);
    expect(() => regionFor(model, spec)).toThrow(/Unsupported operator Cos at node "test_Cos": no backward pass/);
  });
});
