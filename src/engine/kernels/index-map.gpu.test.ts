import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { intRef, randomRef, runCase, type OpCase } from './testing.ts';

const mode = (m: string) => ({ mode: { type: 'string' as const, value: m } });
const scalar = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float64Array.of(v) });

const cases: OpCase[] = [
  { name: 'Pad constant zeros (Swin window padding)', op: 'Pad', inputs: [randomRef([2, 5, 7, 3], 1), intRef([8], [0, 0, 0, 0, 0, 2, 3, 0])] },
  { name: 'Pad constant with a value, on every side', op: 'Pad', inputs: [randomRef([3, 4], 2), intRef([4], [1, 2, 3, 1]), scalar(-1.5)] },
  { name: 'Pad with negative pads crops', op: 'Pad', inputs: [randomRef([5, 9], 3), intRef([4], [-1, 2, 1, -3])] },
  { name: 'Pad over chosen axes (opset 18)', op: 'Pad', inputs: [randomRef([2, 3, 6], 4), intRef([4], [2, 1, 0, 2]), scalar(0.25), intRef([2], [-1, 1])], opset: 18 },
  { name: 'Pad edge', op: 'Pad', inputs: [randomRef([3, 5], 5), intRef([4], [2, 3, 1, 4])], attrs: mode('edge') },
  { name: 'Pad reflect, wider than the input', op: 'Pad', inputs: [randomRef([2, 4], 6), intRef([4], [0, 5, 0, 6])], attrs: mode('reflect') },
  { name: 'Pad with pads as an attribute (opset 2)', op: 'Pad', inputs: [randomRef([4, 3], 7)], attrs: { pads: { type: 'ints', value: [1, 0, 2, 1] }, value: { type: 'float', value: 3 } }, opset: 2 },
  { name: 'Pad an integer tensor', op: 'Pad', inputs: [intRef([2, 3], [1, -2, 3, 4, 5, -6]), intRef([4], [1, 1, 0, 2]), intRef([], [7])] },
  { name: 'Tile', op: 'Tile', inputs: [randomRef([2, 3, 5], 8), intRef([3], [3, 1, 2])] },
  { name: 'Tile with unit dims and a large repeat', op: 'Tile', inputs: [randomRef([1, 4, 1], 9), intRef([3], [2, 3, 70])] },
];

describe('index-map kernel (shaders/index_map.wgsl): Pad and Tile against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst, run } = await runCase(await gpuForTests(), c);
      expect(run.gpu[0].dims).toEqual(run.ref[0].dims);
      expect(worst).toBe(0);
    });
  }

  it('names the op when Pad sizes are only known at run time', async () => {
    const c: OpCase = { name: 'runtime pads', op: 'Pad', inputs: [randomRef([3, 4], 2), intRef([4], [1, 2, 3, 1])], constant: [] };
    await expect(runCase(await gpuForTests(), c)).rejects.toThrow(/Pad.*input 1 must be a constant/);
  });
});
