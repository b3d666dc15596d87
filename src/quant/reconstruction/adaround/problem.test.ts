import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../../gpu/testing.ts';
import { fakeQuantize, perChannelParams } from '../../simulation/quantizer.ts';
import { compareToNearest, hardWeight, prepareLayer, toLayout, transpose } from './problem.ts';
import { rectifiedSigmoid } from './reference.ts';

describe('AdaRound layer preparation', () => {
  const N = 4, K = 6, bits = 3;
  const w = randomFloats(N * K, 9);

  it('nearest decisions reproduce the shared quantizer exactly', () => {
    const p = prepareLayer(w, 'NxK', N, K, bits);
    const params = perChannelParams(w, N, K, bits);
    const want = Float32Array.from(w, (x, i) => fakeQuantize(x, params[Math.floor(i / K)]));
    expect(Array.from(hardWeight(p, p.nearest))).toEqual(Array.from(want));
    expect(compareToNearest(p, p.nearest)).toEqual({ roundedUp: 0, roundedDown: 0 });
  });

  it('starts h(V) at the fractional part of W/s', () => {
    const p = prepareLayer(w, 'NxK', N, K, bits);
    p.v0.forEach((v, i) => {
      const g = w[i] / p.scales[Math.floor(i / K)];
      expect(rectifiedSigmoid(v)).toBeCloseTo(g - Math.floor(g), 5);
    });
  });

  it('reads a KxN weight as its transpose and gives results back in that layout', () => {
    const a = prepareLayer(w, 'NxK', N, K, bits);
    const b = prepareLayer(transpose(w, N, K), 'KxN', N, K, bits);
    expect(Array.from(b.w)).toEqual(Array.from(a.w));
    expect(Array.from(toLayout(a.nearest, 'KxN', N, K))).toEqual(Array.from(transpose(Float32Array.from(a.nearest), N, K)));
  });

  it('counts codes above and below nearest', () => {
    const p = prepareLayer(w, 'NxK', N, K, bits);
    const flipped = Uint8Array.from(p.nearest, (h) => 1 - h);
    const { roundedUp, roundedDown } = compareToNearest(p, flipped);
    const top = 2 ** bits - 1;
    // Flipping moves a code by one unless the clamp to [0, 2^k − 1] absorbs it (floor code at the top).
    let expectUp = 0, expectDown = 0;
    p.nearest.forEach((h, i) => {
      const floorCode = p.base[i] + p.zeros[Math.floor(i / K)];
      if (floorCode < 0 || floorCode >= top) return;
      if (h === 0) expectUp++;
      else expectDown++;
    });
    expect(roundedUp + roundedDown).toBeGreaterThan(N * K / 2);
    expect({ roundedUp, roundedDown }).toEqual({ roundedUp: expectUp, roundedDown: expectDown });
  });

  it('rejects bad input with a message naming the problem', () => {
    expect(() => prepareLayer(w, 'NxK', N, K + 1, bits)).toThrow(/weight has 24 values, expected N·K/);
    expect(() => prepareLayer(w, 'NxK', N, K, 0)).toThrow(/bit width/);
    expect(() => prepareLayer(w, 'MxN' as 'NxK', N, K, bits)).toThrow(/layout/);
    expect(() => prepareLayer(Float32Array.from(w, (x, i) => (i === 3 ? NaN : x)), 'NxK', N, K, bits)).toThrow(/weight\[3\]/);
  });
});
