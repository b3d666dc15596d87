import { describe, expect, it } from 'vitest';
import { gpuForTests } from '../../gpu/testing.ts';
import { intRef, randomRef, runCase, type OpCase } from './testing.ts';

// Values on a coarse grid, so that equality and ties actually occur.
const grid = (dims: number[], seed: number) => randomRef(dims, seed, (v) => Math.round(v * 3));
const bools = (dims: number[], seed: number) => ({ ...randomRef(dims, seed, (v) => (v > 0 ? 1 : 0)), dtype: 'bool' as const });
const ints = (dims: number[], seed: number, scale = 50) => ({ ...randomRef(dims, seed, (v) => Math.round(v * scale)), dtype: 'int64' as const });
const to = (code: number) => ({ to: { type: 'int' as const, value: code } });

const cases: OpCase[] = [
  { name: 'Equal with a broadcast row', op: 'Equal', inputs: [grid([2, 5, 17], 1), grid([17], 2)], constant: [] },
  { name: 'Equal on integers', op: 'Equal', inputs: [ints([3, 7], 3, 2), ints([3, 1], 4, 2)], constant: [] },
  { name: 'Less, both sides broadcast', op: 'Less', inputs: [grid([4, 1, 6], 5), grid([3, 1], 6)], constant: [] },
  { name: 'LessOrEqual', op: 'LessOrEqual', inputs: [grid([70], 7), grid([70], 8)], constant: [] },
  { name: 'Greater against a scalar', op: 'Greater', inputs: [grid([2, 33], 9), { dtype: 'float32', dims: [], data: Float64Array.of(0) }] },
  { name: 'GreaterOrEqual on integers', op: 'GreaterOrEqual', inputs: [ints([5, 13], 10), ints([13], 11)], constant: [] },
  { name: 'And', op: 'And', inputs: [bools([3, 21], 12), bools([1, 21], 13)], constant: [] },
  { name: 'Or', op: 'Or', inputs: [bools([3, 21], 14), bools([3, 1], 15)], constant: [] },
  { name: 'Xor', op: 'Xor', inputs: [bools([65], 16), bools([65], 17)], constant: [] },
  { name: 'Not', op: 'Not', inputs: [bools([2, 3, 11], 18)] },
  { name: 'Where with a broadcast condition', op: 'Where', inputs: [bools([1, 5, 1], 19), randomRef([2, 5, 7], 20), randomRef([7], 21)], constant: [] },
  { name: 'Where masking with a constant fill (Swin attention mask)', op: 'Where', inputs: [bools([4, 9, 9], 22), { dtype: 'float32', dims: [], data: Float64Array.of(-100) }, randomRef([2, 4, 9, 9], 23)], constant: [1] },
  { name: 'Where over integers', op: 'Where', inputs: [bools([6], 24), ints([6], 25), ints([1], 26)], constant: [] },
  { name: 'Cast float to int64 truncates toward zero', op: 'Cast', inputs: [randomRef([3, 41], 27, (v) => v * 40)], attrs: to(7) },
  { name: 'Cast float to int32', op: 'Cast', inputs: [randomRef([67], 28, (v) => v * 1000)], attrs: to(6) },
  { name: 'Cast int64 to float', op: 'Cast', inputs: [ints([4, 9], 29)], attrs: to(1) },
  { name: 'Cast float to bool', op: 'Cast', inputs: [grid([50], 30)], attrs: to(9) },
  { name: 'Cast bool to float', op: 'Cast', inputs: [bools([50], 31)], attrs: to(1) },
  { name: 'Cast float to float (a copy)', op: 'Cast', inputs: [randomRef([2, 19], 32)], attrs: to(1) },
  { name: 'CastLike from a constant int64', op: 'CastLike', inputs: [randomRef([2, 19], 33, (v) => v * 9), intRef([1], [0])] },
];

describe('logic kernels (shaders/logic.wgsl) against the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { worst, run } = await runCase(await gpuForTests(), c);
      expect(worst).toBe(0);
      // A case whose output is constant would prove little.
      const values = new Set(run.ref[0].data);
      expect(values.size).toBeGreaterThan(1);
    });
  }

  it('refuses a cast to a narrow integer type rather than skipping the wrap-around', async () => {
    await expect(runCase(await gpuForTests(), { name: 'u8', op: 'Cast', inputs: [randomRef([4], 1)], attrs: to(2) })).rejects.toThrow(/Cast.*uint8/);
  });
});
