import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { intRef, randomRef, runCase, type OpCase } from './testing.ts';

const int = (v: number) => ({ type: 'int' as const, value: v });
const ints = (v: number[]) => ({ type: 'ints' as const, value: v });
const runtime: number[] = [];

const cases: OpCase[] = [
  { name: 'Transpose (0,2,3,1)', op: 'Transpose', inputs: [randomRef([2, 5, 17, 8], 1)], attrs: { perm: ints([0, 2, 3, 1]) } },
  { name: 'Transpose with the default reversed perm', op: 'Transpose', inputs: [randomRef([3, 4, 5], 2)] },
  { name: 'Transpose of Swin windows (rank 6)', op: 'Transpose', inputs: [randomRef([2, 2, 3, 2, 3, 4], 3)], attrs: { perm: ints([0, 1, 3, 2, 4, 5]) } },
  { name: 'Concat on a negative axis, three pieces', op: 'Concat', inputs: [randomRef([2, 3, 4], 4), randomRef([2, 3, 1], 5), randomRef([2, 3, 6], 6)], attrs: { axis: int(-1) }, constant: runtime },
  { name: 'Concat of a cls token on axis 1', op: 'Concat', inputs: [randomRef([2, 1, 8], 7), randomRef([2, 16, 8], 8)], attrs: { axis: int(1) }, constant: runtime },
  { name: 'Split with sizes as an input', op: 'Split', inputs: [randomRef([2, 9, 4], 9), intRef([3], [2, 3, 4])], attrs: { axis: int(1) }, outputs: 3 },
  { name: 'Split in equal parts on the last axis (qkv)', op: 'Split', inputs: [randomRef([2, 5, 12], 10)], attrs: { axis: int(-1) }, outputs: 3 },
  { name: 'Split with sizes as an attribute (opset 11)', op: 'Split', inputs: [randomRef([7, 3], 11)], attrs: { split: ints([5, 2]) }, outputs: 2, opset: 11 },
  { name: 'Slice with steps and a negative axis', op: 'Slice', inputs: [randomRef([2, 10, 9], 12), intRef([2], [1, 0]), intRef([2], [9, 9]), intRef([2], [1, -1]), intRef([2], [3, 2])] },
  { name: 'Slice with a negative step', op: 'Slice', inputs: [randomRef([2, 10, 6], 13), intRef([2], [8, 1]), intRef([2], [1, 6]), intRef([2], [1, 2]), intRef([2], [-2, 2])] },
  { name: 'Slice with clamped ends (cls token)', op: 'Slice', inputs: [randomRef([2, 17, 8], 14), intRef([1], [0]), intRef([1], [1]), intRef([1], [1])] },
  { name: 'Slice with an end past the size', op: 'Slice', inputs: [randomRef([4, 6], 15), intRef([1], [2]), intRef([1], [2 ** 62]), intRef([1], [-1])] },
  { name: 'Expand broadcasting on both sides', op: 'Expand', inputs: [randomRef([3, 1], 16), intRef([3], [2, 1, 5])] },
  { name: 'Expand a cls token to the batch', op: 'Expand', inputs: [randomRef([1, 1, 8], 17), intRef([3], [3, 1, 1])] },
  { name: 'Gather a scalar index (cls token)', op: 'Gather', inputs: [randomRef([2, 6, 5], 18), intRef([], [0])], attrs: { axis: int(1) } },
  { name: 'Gather a negative scalar index', op: 'Gather', inputs: [randomRef([2, 6, 5], 19), intRef([], [-2])], attrs: { axis: int(-2) } },
  { name: 'Gather an index table (Swin relative position bias)', op: 'Gather', inputs: [randomRef([25, 3], 20), intRef([81], Array.from({ length: 81 }, (_, i) => (i * 7) % 25))] },
  { name: 'Gather a 2-D index table with negatives on axis 1', op: 'Gather', inputs: [randomRef([2, 6, 5], 21), intRef([2, 3], [5, 0, -1, 2, 2, 3])], attrs: { axis: int(1) } },
  { name: 'Gather with indices computed at run time', op: 'Gather', inputs: [randomRef([7, 4], 22), intRef([5], [6, 0, 3, 3, -7])], constant: runtime },
  { name: 'Gather from an integer tensor', op: 'Gather', inputs: [intRef([6], [4, -8, 15, 16, 23, 42]), intRef([3], [5, 1, 0])] },
];

describe('strided copy and gather kernels against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst, run } = await runCase(await gpuForTests(), c);
      run.gpu.forEach((t, i) => expect(t.dims).toEqual(run.ref[i].dims));
      expect(worst).toBe(0);
    });
  }
});
