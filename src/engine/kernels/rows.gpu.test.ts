import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { intRef, randomRef, runCase, type OpCase } from './testing.ts';

const int = (v: number) => ({ type: 'int' as const, value: v });
const ints = (v: number[]) => ({ type: 'ints' as const, value: v });
const float = (v: number) => ({ type: 'float' as const, value: v });
const logits = (dims: number[], seed: number) => randomRef(dims, seed, (v) => v * 8);

const cases: OpCase[] = [
  { name: 'Softmax, last axis, attention-shaped', op: 'Softmax', inputs: [logits([2, 3, 17, 17], 1)], attrs: { axis: int(-1) } },
  { name: 'Softmax over a long row (3000)', op: 'Softmax', inputs: [logits([2, 3000], 2)] },
  { name: 'Softmax over a middle axis', op: 'Softmax', inputs: [logits([2, 5, 7], 3)], attrs: { axis: int(1) } },
  { name: 'Softmax of large logits stays finite', op: 'Softmax', inputs: [randomRef([3, 40], 4, (v) => v * 300)] },
  { name: 'Softmax coerced to 2-D (opset 11)', op: 'Softmax', inputs: [logits([2, 5, 7], 5)], attrs: { axis: int(1) }, opset: 11 },
  { name: 'LayerNormalization with bias, odd width', op: 'LayerNormalization', inputs: [randomRef([2, 5, 37], 6, (v) => v * 3 + 1), randomRef([37], 7), randomRef([37], 8)], attrs: { epsilon: float(1e-6) } },
  { name: 'LayerNormalization over two axes (axis -2), no bias', op: 'LayerNormalization', inputs: [randomRef([2, 5, 6, 8], 9), randomRef([6, 8], 10)], attrs: { axis: int(-2) } },
  { name: 'LayerNormalization of a long row with an outlier channel', op: 'LayerNormalization', inputs: [randomRef([3, 1500], 11, (v) => v + 0.5), randomRef([1500], 12, (v) => v * 50), randomRef([1500], 13)], tolerance: 1e-5 },
  { name: 'ReduceMean over the last axis (keepdims)', op: 'ReduceMean', inputs: [randomRef([2, 5, 19], 14)], attrs: { axes: ints([-1]) } },
  { name: 'ReduceMean over strided axes 0 and 2, no keepdims', op: 'ReduceMean', inputs: [randomRef([3, 5, 4, 6], 15)], attrs: { axes: ints([0, 2]), keepdims: int(0) } },
  { name: 'ReduceMean with axes as an input (opset 18)', op: 'ReduceMean', inputs: [randomRef([2, 5, 19], 16), intRef([1], [1])], opset: 18 },
  { name: 'ReduceSum over all axes (axes omitted)', op: 'ReduceSum', inputs: [randomRef([4, 33], 17)] },
  { name: 'ReduceSum with axes input (opset 13)', op: 'ReduceSum', inputs: [randomRef([2, 3, 130], 18), intRef([2], [-1, 1])], opset: 13, tolerance: 1e-5 },
  { name: 'ReduceMax over a middle axis', op: 'ReduceMax', inputs: [randomRef([2, 7, 5], 19)], attrs: { axes: ints([1]) } },
  { name: 'ReduceMax of negative values', op: 'ReduceMax', inputs: [randomRef([3, 77], 20, (v) => v - 3)], attrs: { axes: ints([-1]), keepdims: int(0) } },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [randomRef([2, 6, 7, 5], 21)] },
];

describe('row kernels (shaders/rows.wgsl) against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst } = await runCase(await gpuForTests(), c);
      expect(worst).toBeLessThanOrEqual(c.tolerance ?? 2e-6);
    });
  }

  it('names the op when reduction axes are only known at run time', async () => {
    const c: OpCase = { name: 'runtime axes', op: 'ReduceSum', inputs: [randomRef([2, 3], 1), intRef([1], [1])], constant: [], opset: 13 };
    await expect(runCase(await gpuForTests(), c)).rejects.toThrow(/ReduceSum.*input 1 must be a constant/);
  });
});
