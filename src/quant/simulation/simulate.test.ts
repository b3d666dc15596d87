import { describe, expect, it } from 'vitest';
import type { QuantLayer } from '../../model/layers.ts';
import type { Tensor } from '../../onnx/ir.ts';
import { randomFloats } from '../../gpu/testing.ts';
import { channelsOf, fakeQuantWeight, weightParams } from './simulate.ts';

const layer = (layout: QuantLayer['layout']) => ({ layout }) as QuantLayer;
const tensor = (dims: number[], data: Float32Array): Tensor => ({ name: 'w', dtype: 'float32', dims, data });

describe('weight fake quantization', () => {
  it('takes output channels from the columns of a KxN weight and the rows of an NxK one', () => {
    expect(channelsOf(layer('KxN'), [4, 3]).channelOf(5)).toBe(2);
    expect(channelsOf(layer('NxK'), [3, 4]).channelOf(5)).toBe(1);
    const w = Float32Array.from([0, 10, 1, 20, 2, 30]); // KxN: 3 x 2
    const [a, b] = weightParams(layer('KxN'), tensor([3, 2], w), 8);
    expect(a.scale).toBeCloseTo(2 / 255, 8);
    expect(b.scale).toBeCloseTo(30 / 255, 6);
  });

  it('the same weight, transposed, quantizes to the same values', () => {
    const w = randomFloats(6 * 5, 3);
    const t = new Float32Array(30);
    for (let n = 0; n < 6; n++) for (let k = 0; k < 5; k++) t[k * 6 + n] = w[n * 5 + k];
    const a = fakeQuantWeight(layer('NxK'), tensor([6, 5], w), weightParams(layer('NxK'), tensor([6, 5], w), 3));
    const b = fakeQuantWeight(layer('KxN'), tensor([5, 6], t), weightParams(layer('KxN'), tensor([5, 6], t), 3));
    for (let n = 0; n < 6; n++) for (let k = 0; k < 5; k++) expect(b[k * 6 + n]).toBe(a[n * 5 + k]);
  });

  it('MSE-searched ranges round with less error than min/max on heavy-tailed channels', () => {
    const w = Float32Array.from(randomFloats(8 * 64, 5), (v, i) => (i % 64 === 0 ? v * 12 : v));
    const t = tensor([8, 64], w);
    const err = (range: 'minmax' | 'mse') => {
      const q = fakeQuantWeight(layer('NxK'), t, weightParams(layer('NxK'), t, 3, range));
      return q.reduce((s, v, i) => s + (v - w[i]) ** 2, 0);
    };
    expect(err('mse')).toBeLessThan(err('minmax'));
  });
});
