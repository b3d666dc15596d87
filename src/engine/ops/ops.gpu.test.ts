import { describe, expect, it } from 'vitest';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import type { AttrValue, Tensor } from '../../onnx/ir.ts';
import { buildModel, node, valueInfo } from '../../onnx/testing.ts';
import { runReference } from '../cpu/executor.ts';
import { GpuModel } from '../session.ts';

/**
 * Each case is one node: its runtime inputs (first dim = batch) and constant inputs.
 * The GPU executor's result is compared with the float64 reference of the same op.
 */
interface Case {
  name: string;
  op: string;
  inputs: number[][];
  constants?: (Tensor | null)[];
  attrs?: Record<string, AttrValue>;
  opset?: number;
  positive?: boolean;
  outputs?: number;
}

const ints = (v: number[]): AttrValue => ({ type: 'ints', value: v });
const int = (v: number): AttrValue => ({ type: 'int', value: v });
const float = (v: number): AttrValue => ({ type: 'float', value: v });
const f32 = (name: string, dims: number[], seed: number): Tensor => ({ name, dtype: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed) });
const i64 = (name: string, dims: number[], values: number[]): Tensor => ({ name, dtype: 'int64', dims, data: Float64Array.from(values) });

const cases: Case[] = [
  { name: 'Add broadcasting a row', op: 'Add', inputs: [[2, 5, 17]], constants: [f32('b', [17], 9)] },
  { name: 'Sub broadcasting a column', op: 'Sub', inputs: [[2, 5, 17]], constants: [f32('b', [5, 1], 9)] },
  { name: 'Mul of two runtime tensors', op: 'Mul', inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'Div by a scalar', op: 'Div', inputs: [[3, 7]], constants: [{ name: 's', dtype: 'float32', dims: [], data: Float32Array.from([2.5]) }] },
  { name: 'Pow 2 of negative numbers', op: 'Pow', inputs: [[2, 9]], constants: [{ name: 'e', dtype: 'float32', dims: [], data: Float32Array.from([2]) }] },
  { name: 'Sqrt', op: 'Sqrt', inputs: [[2, 33]], positive: true },
  { name: 'Erf', op: 'Erf', inputs: [[3, 65]] },
  { name: 'Tanh', op: 'Tanh', inputs: [[3, 65]] },
  { name: 'Gelu (tanh)', op: 'Gelu', inputs: [[2, 40]], attrs: { approximate: { type: 'string', value: 'tanh' } }, opset: 20 },
  { name: 'Softmax over the last axis, long rows', op: 'Softmax', inputs: [[2, 3000]] },
  { name: 'Softmax over a middle axis (opset 13)', op: 'Softmax', inputs: [[2, 5, 7]], attrs: { axis: int(1) } },
  { name: 'Softmax coerced to 2-D (opset 11)', op: 'Softmax', inputs: [[2, 5, 7]], attrs: { axis: int(1) }, opset: 11 },
  { name: 'LayerNormalization', op: 'LayerNormalization', inputs: [[2, 5, 48]], constants: [f32('g', [48], 3), f32('b', [48], 4)], attrs: { axis: int(-1), epsilon: float(1e-6) } },
  { name: 'LayerNormalization without a bias, over two axes', op: 'LayerNormalization', inputs: [[2, 5, 6, 8]], constants: [f32('g', [6, 8], 3)], attrs: { axis: int(2) } },
  { name: 'ReduceMean over the last axis', op: 'ReduceMean', inputs: [[2, 5, 19]], attrs: { axes: ints([-1]) } },
  { name: 'ReduceMean over a middle axis, no keepdims', op: 'ReduceMean', inputs: [[2, 5, 19]], attrs: { axes: ints([1]), keepdims: int(0) } },
  { name: 'Transpose', op: 'Transpose', inputs: [[2, 3, 4, 5]], attrs: { perm: ints([0, 2, 3, 1]) } },
  { name: 'Concat on axis 1', op: 'Concat', inputs: [[2, 3, 4], [2, 5, 4]], attrs: { axis: int(1) } },
  { name: 'Split in three', op: 'Split', inputs: [[2, 9, 4]], constants: [i64('sizes', [3], [2, 3, 4])], attrs: { axis: int(1) }, outputs: 3 },
  { name: 'Slice with a negative step', op: 'Slice', inputs: [[2, 10, 6]], constants: [i64('st', [2], [8, 1]), i64('en', [2], [1, 6]), i64('ax', [2], [1, 2]), i64('sp', [2], [-2, 2])] },
  { name: 'Expand', op: 'Expand', inputs: [[2, 1, 5]], constants: [i64('shape', [3], [2, 4, 5])] },
  { name: 'Gather one index', op: 'Gather', inputs: [[2, 6, 5]], constants: [i64('i', [], [0])], attrs: { axis: int(1) } },
  { name: 'Gather an index table', op: 'Gather', inputs: [[2, 6, 5]], constants: [i64('i', [2, 3], [5, 0, -1, 2, 2, 3])], attrs: { axis: int(1) } },
  { name: 'MatMul batched with a shared weight', op: 'MatMul', inputs: [[2, 7, 12]], constants: [f32('w', [12, 9], 5)] },
  { name: 'MatMul of two batched tensors', op: 'MatMul', inputs: [[2, 3, 7, 8], [2, 3, 8, 5]] },
  { name: 'MatMul with a broadcast batch', op: 'MatMul', inputs: [[2, 3, 7, 8]], constants: [f32('w', [1, 3, 8, 5], 6)] },
  { name: 'Gemm transB with bias', op: 'Gemm', inputs: [[3, 16]], constants: [f32('w', [10, 16], 7), f32('c', [10], 8)], attrs: { transB: int(1) } },
  { name: 'Gemm transA, alpha and beta', op: 'Gemm', inputs: [[6, 4]], constants: [f32('w', [6, 5], 7), f32('c', [4, 5], 8)], attrs: { transA: int(1), alpha: float(0.5), beta: float(2) } },
  { name: 'Conv patch embedding', op: 'Conv', inputs: [[2, 3, 16, 16]], constants: [f32('w', [8, 3, 4, 4], 11), f32('b', [8], 12)], attrs: { strides: ints([4, 4]), kernel_shape: ints([4, 4]) } },
  { name: 'Conv with padding and stride 2', op: 'Conv', inputs: [[1, 2, 9, 7]], constants: [f32('w', [3, 2, 3, 3], 13)], attrs: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } },
];

describe('GPU ops against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = await gpuForTests();
      const names = c.inputs.map((_, i) => `x${i}`);
      const constants = (c.constants ?? []).filter((t): t is Tensor => t !== null);
      const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
      const model = buildModel({
        opset: c.opset ?? 13,
        nodes: [node(c.op, [...names, ...constants.map((t) => t.name)], outputs, c.attrs ?? {})],
        initializers: constants,
        inputs: c.inputs.map((dims, i) => valueInfo(names[i], ['N', ...dims.slice(1)])),
        outputs: outputs.map((o) => valueInfo(o, null)),
      });
      const batch = c.inputs[0][0];
      const feeds = Object.fromEntries(c.inputs.map((dims, i) => {
        const data = randomFloats(dims.reduce((a, b) => a * b, 1), 100 + i);
        if (c.positive) data.forEach((v, j) => (data[j] = Math.abs(v) + 0.01));
        return [names[i], data];
      }));
      const gpu = new GpuModel(ctx, model);
      const got = await gpu.run(feeds, batch);
      gpu.dispose();
      const want = runReference(model, Object.fromEntries(c.inputs.map((dims, i) => [names[i], { dtype: 'float32' as const, dims, data: Float64Array.from(feeds[names[i]]) }])));
      for (const o of outputs) {
        expect(got.outputs[o].dims).toEqual(want.outputs[o].dims);
        const ref = want.outputs[o].data;
        const scale = Math.max(1, ...Array.from(ref, Math.abs));
        let maxDiff = 0;
        got.outputs[o].data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ref[i]))));
        expect(maxDiff / scale).toBeLessThan(2e-6);
      }
    });
  }
});
