/** The op cases the gradient tests share: every op a ViT, DeiT or Swin block and its head run, in the forms the fixtures export. */
import type { AttrValue } from '../../onnx/ir.ts';
import { randomRef, type TestInput } from '../testing.ts';

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
export const int = (value: number): AttrValue => ({ type: 'int', value });
const str = (value: string): AttrValue => ({ type: 'string', value });
export const x = (dims: number[], seed: number, map?: (v: number) => number): TestInput => ({ value: randomRef(dims, seed, map) });
export const c = (dims: number[], values: number[], dtype: 'int64' | 'float32' = 'int64'): TestInput => ({ value: { dtype, dims, data: Float64Array.from(values) }, constant: true, dtype });
const cRandom = (dims: number[], seed: number): TestInput => ({ value: randomRef(dims, seed), constant: true });

export interface OpCase {
  name: string;
  op: string;
  inputs: (TestInput | null)[];
  attrs?: Record<string, AttrValue>;
  outputs?: number;
  opset?: number;
}

/** Every op a ViT, DeiT or Swin block and its head run, in the forms the fixtures export. */
export const OP_CASES: OpCase[] = [
  { name: 'Sqrt', op: 'Sqrt', inputs: [x([2, 5], 1, (v) => 1.2 + v)] },
  { name: 'Erf', op: 'Erf', inputs: [x([2, 5], 2, (v) => 2 * v)] },
  { name: 'Tanh', op: 'Tanh', inputs: [x([2, 5], 3, (v) => 2 * v)] },
  { name: 'Exp', op: 'Exp', inputs: [x([7], 4)] },
  { name: 'Neg', op: 'Neg', inputs: [x([7], 5)] },
  { name: 'Reciprocal', op: 'Reciprocal', inputs: [x([7], 6, (v) => 1.5 + v)] },
  { name: 'Relu', op: 'Relu', inputs: [x([9], 7)] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [x([9], 8, (v) => 3 * v)] },
  { name: 'Gelu (erf)', op: 'Gelu', inputs: [x([3, 6], 9, (v) => 3 * v)], opset: 20 },
  { name: 'Gelu (tanh)', op: 'Gelu', inputs: [x([3, 6], 10, (v) => 3 * v)], attrs: { approximate: str('tanh') }, opset: 20 },
  { name: 'Clip (a quantizer\'s straight-through range)', op: 'Clip', inputs: [x([12], 11, (v) => 2 * v), c([], [-0.7], 'float32'), c([], [0.9], 'float32')] },
  { name: 'Add, same shape', op: 'Add', inputs: [x([2, 3], 12), x([2, 3], 13)] },
  { name: 'Add, broadcast bias and residual', op: 'Add', inputs: [x([2, 3, 4], 14), x([4], 15)] },
  { name: 'Sub, x − mean(x)', op: 'Sub', inputs: [x([2, 3, 4], 16), x([2, 3, 1], 17)] },
  { name: 'Mul, both broadcast', op: 'Mul', inputs: [x([2, 1, 4], 18), x([3, 1], 19)] },
  { name: 'Mul by a constant', op: 'Mul', inputs: [x([2, 3], 20), c([], [0.125], 'float32')] },
  { name: 'Div, (x − mean)/std', op: 'Div', inputs: [x([2, 3, 4], 21), x([2, 3, 1], 22, (v) => 1.5 + v)] },
  { name: 'Pow, constant exponent 2', op: 'Pow', inputs: [x([2, 5], 23), c([], [2], 'float32')] },
  { name: 'Pow, both variable', op: 'Pow', inputs: [x([2, 5], 24, (v) => 1.5 + v), x([5], 25)] },
  { name: 'Softmax, last axis', op: 'Softmax', inputs: [x([2, 3, 5], 26, (v) => 3 * v)], attrs: { axis: int(-1) } },
  { name: 'Softmax, middle axis', op: 'Softmax', inputs: [x([2, 3, 5], 27, (v) => 3 * v)], attrs: { axis: int(1) } },
  { name: 'Softmax, opset 11 (flattened tail)', op: 'Softmax', inputs: [x([2, 3, 4], 28)], attrs: { axis: int(1) }, opset: 11 },
  { name: 'LayerNormalization', op: 'LayerNormalization', inputs: [x([2, 3, 6], 29, (v) => 2 * v), cRandom([6], 30), cRandom([6], 31)], attrs: { axis: int(-1), epsilon: { type: 'float', value: 1e-5 } } },
  { name: 'LayerNormalization over two axes', op: 'LayerNormalization', inputs: [x([2, 3, 4], 32), cRandom([3, 4], 33)], attrs: { axis: int(1) } },
  { name: 'ReduceMean, keepdims', op: 'ReduceMean', inputs: [x([2, 3, 4], 34)], attrs: { axes: ints([-1]) }, opset: 13 },
  { name: 'ReduceMean, middle axis dropped', op: 'ReduceMean', inputs: [x([2, 3, 4], 35)], attrs: { axes: ints([1]), keepdims: int(0) }, opset: 13 },
  { name: 'ReduceSum, axes as input', op: 'ReduceSum', inputs: [x([2, 3, 4], 36), c([2], [0, 2])], opset: 13 },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [x([2, 3, 5], 37)] },
  { name: 'Transpose (qkv permute)', op: 'Transpose', inputs: [x([2, 3, 3, 2, 2], 38)], attrs: { perm: ints([2, 0, 3, 1, 4]) } },
  { name: 'Reshape', op: 'Reshape', inputs: [x([2, 6], 39), c([3], [3, 2, 2])] },
  { name: 'Squeeze', op: 'Squeeze', inputs: [x([1, 3, 2], 40), c([1], [0])], opset: 13 },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: [x([3, 2], 41), c([1], [1])], opset: 13 },
  { name: 'Flatten', op: 'Flatten', inputs: [x([2, 3, 2], 42)], attrs: { axis: int(1) } },
  { name: 'Slice, strided (patch merging)', op: 'Slice', inputs: [x([1, 4, 4, 3], 43), c([2], [1, 0]), c([2], [100, 100]), c([2], [1, 2]), c([2], [2, 2])] },
  { name: 'Slice, negative start (roll)', op: 'Slice', inputs: [x([2, 5, 3], 44), c([1], [-2]), c([1], [100]), c([1], [1])] },
  { name: 'Slice, negative step', op: 'Slice', inputs: [x([6, 2], 45), c([1], [4]), c([1], [-10]), c([1], [0]), c([1], [-2])] },
  { name: 'Split (qkv), one output unused', op: 'Split', inputs: [x([3, 2, 4], 46), c([3], [1, 1, 1])], attrs: { axis: int(0) }, outputs: 3, opset: 13 },
  { name: 'Concat (roll, merging), with a constant', op: 'Concat', inputs: [x([2, 2, 3], 47), cRandom([2, 1, 3], 48), x([2, 3, 3], 49)], attrs: { axis: int(1) } },
  { name: 'Gather, one index (CLS token)', op: 'Gather', inputs: [x([2, 5, 3], 50), c([], [0])], attrs: { axis: int(1) } },
  { name: 'Gather, a table with repeats (relative position)', op: 'Gather', inputs: [x([5, 2], 51), c([2, 3], [4, 0, -1, 2, 0, 3])], attrs: { axis: int(0) } },
  { name: 'Expand', op: 'Expand', inputs: [x([1, 3, 1], 52), c([3], [2, 3, 4])] },
  { name: 'Pad, constant with a crop', op: 'Pad', inputs: [x([2, 3, 4], 53), c([6], [0, 1, -1, 0, 2, 1])] },
  { name: 'MatMul, batched (attention)', op: 'MatMul', inputs: [x([2, 3, 4], 54), x([2, 4, 5], 55)] },
  { name: 'MatMul, a shared second operand', op: 'MatMul', inputs: [x([2, 3, 4], 56), x([4, 5], 57)] },
  { name: 'MatMul, a broadcast first operand', op: 'MatMul', inputs: [x([3, 4], 58), x([2, 4, 5], 59)] },
  { name: 'MatMul by a constant weight', op: 'MatMul', inputs: [x([2, 3, 4], 60), cRandom([4, 5], 61)] },
  { name: 'Gemm, transB with bias (head)', op: 'Gemm', inputs: [x([3, 4], 62), x([5, 4], 63), x([5], 64)], attrs: { transB: int(1), alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: 2 } } },
  { name: 'Gemm, transA', op: 'Gemm', inputs: [x([4, 3], 65), x([4, 5], 66)], attrs: { transA: int(1) } },
];

