import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { randomRef, runCase, type OpCase } from './testing.ts';

const scalar = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float64Array.of(v) });
const positive = (dims: number[], seed: number) => randomRef(dims, seed, (v) => Math.abs(v) + 0.05);
const wide = (dims: number[], seed: number) => randomRef(dims, seed, (v) => v * 4);
const runtime: number[] = [];

const unary: OpCase[] = [
  ['Sqrt', positive([2, 5, 17, 8], 1), 2e-6],
  ['Erf', wide([3, 67], 2), 1e-6],
  ['Tanh', wide([3, 67], 3), 2e-6],
  ['Exp', wide([65], 4), 2e-6],
  ['Log', positive([65], 5), 2e-6],
  ['Neg', randomRef([2, 31], 6), 0],
  ['Abs', randomRef([2, 31], 7), 0],
  ['Reciprocal', positive([2, 31], 8), 2e-6],
  ['Relu', randomRef([2, 31], 9), 0],
  ['Sigmoid', wide([2, 31], 10), 2e-6],
  ['Floor', wide([2, 31], 11), 0],
  ['Ceil', wide([2, 31], 12), 0],
  // WGSL only promises sin/cos to 2^-11 absolute, and SwiftShader uses that latitude.
  ['Sin', wide([40], 13), 5e-4],
  ['Cos', wide([40], 14), 5e-4],
  ['Sign', randomRef([2, 31], 15, (v) => Math.round(v * 2) / 2), 0],
  ['Softplus', wide([2, 31], 16), 2e-6],
  ['HardSwish', wide([2, 31], 17), 2e-6],
  ['LeakyRelu', randomRef([2, 31], 18), 2e-6],
].map(([op, x, tolerance]) => ({ name: op as string, op: op as string, inputs: [x as never], tolerance: tolerance as number }));

const cases: OpCase[] = [
  ...unary,
  { name: 'Gelu exact (opset 20)', op: 'Gelu', inputs: [wide([2, 5, 33], 20)], opset: 20, tolerance: 1e-6 },
  { name: 'Gelu tanh (opset 20)', op: 'Gelu', inputs: [wide([2, 5, 33], 21)], attrs: { approximate: { type: 'string', value: 'tanh' } }, opset: 20, tolerance: 1e-6 },
  { name: 'LeakyRelu with alpha', op: 'LeakyRelu', inputs: [randomRef([2, 31], 25)], attrs: { alpha: { type: 'float', value: 0.3 } } },
  { name: 'HardSigmoid with alpha and beta', op: 'HardSigmoid', inputs: [wide([2, 31], 26)], attrs: { alpha: { type: 'float', value: 0.25 }, beta: { type: 'float', value: 0.4 } } },
  { name: 'Round ties to even', op: 'Round', inputs: [randomRef([64], 22, (v) => Math.round(v * 8) / 2)], tolerance: 0 },
  // Bounds become f32 on the GPU, the reference keeps them in float64.
  { name: 'Clip with both bounds', op: 'Clip', inputs: [randomRef([3, 19], 23), scalar(-0.3), scalar(0.5)], tolerance: 1e-7 },
  { name: 'Clip with only a lower bound', op: 'Clip', inputs: [randomRef([3, 19], 24), scalar(0.1), undefined], tolerance: 1e-7 },
  { name: 'Add: same shapes, odd size', op: 'Add', inputs: [randomRef([2, 5, 17, 8], 30), randomRef([2, 5, 17, 8], 31)], constant: runtime },
  { name: 'Add: both sides broadcast ([4,1,6] + [3,1])', op: 'Add', inputs: [randomRef([4, 1, 6], 32), randomRef([3, 1], 33)], constant: runtime },
  { name: 'Sub: the smaller tensor first', op: 'Sub', inputs: [randomRef([5, 1], 34), randomRef([2, 5, 7], 35)], constant: runtime },
  { name: 'Mul by a per-channel [1,C,1,1] scale', op: 'Mul', inputs: [randomRef([2, 3, 5, 4], 36), randomRef([1, 3, 1, 1], 37)] },
  { name: 'Div by a scalar', op: 'Div', inputs: [randomRef([3, 7], 38), scalar(2.5)] },
  { name: 'Div a scalar by a tensor', op: 'Div', inputs: [scalar(1), positive([3, 7], 39)], constant: runtime },
  { name: 'Pow 2 of negative numbers (decomposed LayerNorm)', op: 'Pow', inputs: [randomRef([2, 9], 40), scalar(2)] },
  { name: 'Pow 3 of negative numbers', op: 'Pow', inputs: [randomRef([2, 9], 41), scalar(3)] },
  { name: 'Pow 0.5', op: 'Pow', inputs: [positive([2, 9], 42), scalar(0.5)] },
  { name: 'Max of two, broadcast', op: 'Max', inputs: [randomRef([3, 6], 43), randomRef([6], 44)], constant: runtime },
  { name: 'Max of three', op: 'Max', inputs: [randomRef([3, 6], 45), randomRef([1, 6], 46), randomRef([3, 1], 47)], constant: runtime },
  { name: 'Min of one (a copy)', op: 'Min', inputs: [randomRef([3, 6], 48)] },
  { name: 'Sum of four', op: 'Sum', inputs: [randomRef([2, 5], 49), randomRef([5], 50), randomRef([2, 1], 51), randomRef([2, 5], 52)], constant: runtime },
  { name: 'Mean of three', op: 'Mean', inputs: [randomRef([2, 5], 53), randomRef([5], 54), randomRef([2, 5], 55)], constant: runtime },
  { name: 'Mean of one', op: 'Mean', inputs: [randomRef([2, 5], 56)] },
  { name: 'Add beyond one row of 65535 workgroups', op: 'Add', inputs: [randomRef([64 * 65535 + 3], 57), scalar(1)] },
];

describe('elementwise kernels (shaders/elementwise.wgsl) against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst } = await runCase(await gpuForTests(), c);
      expect(worst).toBeLessThanOrEqual(c.tolerance ?? 2e-6);
    });
  }
});
