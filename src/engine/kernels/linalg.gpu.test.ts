import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { randomRef, runCase, type OpCase } from './testing.ts';

const int = (v: number) => ({ type: 'int' as const, value: v });
const ints = (v: number[]) => ({ type: 'ints' as const, value: v });
const float = (v: number) => ({ type: 'float' as const, value: v });
const runtime: number[] = [];

const cases: OpCase[] = [
  { name: 'MatMul: batched tokens times a constant weight', op: 'MatMul', inputs: [randomRef([2, 7, 12], 1), randomRef([12, 9], 2)] },
  { name: 'MatMul: attention QK^T, both batched', op: 'MatMul', inputs: [randomRef([2, 3, 7, 8], 3), randomRef([2, 3, 8, 7], 4)], constant: runtime },
  { name: 'MatMul: B broadcast over one batch dim', op: 'MatMul', inputs: [randomRef([2, 3, 7, 8], 5), randomRef([1, 3, 8, 5], 6)] },
  { name: 'MatMul: A broadcast over the batch', op: 'MatMul', inputs: [randomRef([7, 8], 7), randomRef([2, 3, 8, 5], 8)], constant: runtime },
  { name: 'MatMul: A with a partial batch [3,1,...] x [2,...]', op: 'MatMul', inputs: [randomRef([3, 1, 4, 6], 9), randomRef([2, 6, 5], 10)], constant: runtime },
  { name: 'MatMul: 1-D times 2-D', op: 'MatMul', inputs: [randomRef([6], 11), randomRef([6, 5], 12)] },
  { name: 'MatMul: batched times 1-D', op: 'MatMul', inputs: [randomRef([2, 4, 6], 13), randomRef([6], 14)] },
  { name: 'Gemm transB with bias (classifier head)', op: 'Gemm', inputs: [randomRef([3, 16], 15), randomRef([10, 16], 16), randomRef([10], 17)], attrs: { transB: int(1) } },
  { name: 'Gemm transA, alpha, beta and a 2-D C', op: 'Gemm', inputs: [randomRef([6, 4], 18), randomRef([6, 5], 19), randomRef([4, 5], 20)], attrs: { transA: int(1), alpha: float(0.5), beta: float(2) } },
  { name: 'Gemm with a broadcast row C and no transposes', op: 'Gemm', inputs: [randomRef([3, 7], 21), randomRef([7, 5], 22), randomRef([1, 5], 23)] },
  { name: 'Conv: patch embedding (kernel = stride, no padding)', op: 'Conv', inputs: [randomRef([2, 3, 16, 16], 24), randomRef([8, 3, 4, 4], 25), randomRef([8], 26)], attrs: { strides: ints([4, 4]), kernel_shape: ints([4, 4]) } },
  { name: 'Conv: pads, stride 2, no bias', op: 'Conv', inputs: [randomRef([1, 2, 9, 7], 27), randomRef([3, 2, 3, 3], 28)], attrs: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } },
  { name: 'Conv: dilation and asymmetric pads', op: 'Conv', inputs: [randomRef([2, 2, 8, 9], 29), randomRef([4, 2, 3, 2], 30), randomRef([4], 31)], attrs: { dilations: ints([2, 1]), pads: ints([0, 2, 1, 0]) } },
  { name: 'Conv: two groups with bias', op: 'Conv', inputs: [randomRef([2, 4, 6, 6], 32), randomRef([6, 2, 3, 3], 33), randomRef([6], 34)], attrs: { group: int(2), pads: ints([1, 1, 1, 1]) } },
  { name: 'Conv: depthwise', op: 'Conv', inputs: [randomRef([2, 3, 5, 5], 35), randomRef([3, 1, 3, 3], 36)], attrs: { group: int(3) } },
  { name: 'Conv: 1-D', op: 'Conv', inputs: [randomRef([2, 3, 11], 37), randomRef([5, 3, 3], 38), randomRef([5], 39)], attrs: { strides: ints([2]) } },
];

describe('matrix products (matmul + im2col kernels) against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst, run } = await runCase(await gpuForTests(), c);
      expect(run.gpu[0].dims).toEqual(run.ref[0].dims);
      expect(worst).toBeLessThanOrEqual(2e-6);
    });
  }
});
