import { describe, expect, it } from 'vitest';
import { affineStoredBits, averageBits, layerStoredBits, withinBudget } from './stored-bits.ts';

describe('stored-bit accounting', () => {
  // 3 output channels x 4 inputs, with a bias.
  const layer = { params: 12, outFeatures: 3, biasCount: 3 };

  it('counts codes, fp32 scales, b-bit zero points and the fp32 bias by hand', () => {
    // 12*4 codes + 3*32 scales + 3*4 zero points + 3*32 bias = 48 + 96 + 12 + 96
    expect(layerStoredBits(layer, 4)).toBe(252);
  });

  it('charges fp16 scales and byte zero points when asked', () => {
    expect(layerStoredBits(layer, 4, { scaleBits: 16 })).toBe(48 + 48 + 12 + 96);
    expect(layerStoredBits(layer, 4, { zeroPointBits: 8 })).toBe(48 + 96 + 24 + 96);
  });

  it('charges fp16 biases 16 bits a value when asked', () => {
    expect(layerStoredBits(layer, 4, { biasBits: 16 })).toBe(48 + 96 + 12 + 48);
    expect(() => layerStoredBits(layer, 4, { biasBits: 8 as never })).toThrow(/biasBits must be 32 or 16/);
  });

  it('charges a restored channel its float weights and an index on top of its codes', () => {
    // one channel of 4 weights at 32 bits + a 32-bit index
    expect(layerStoredBits({ ...layer, restoredChannels: 1 }, 4)).toBe(252 + 4 * 32 + 32);
  });

  it('is affine in the bit width', () => {
    const { perBit, fixed } = affineStoredBits(layer);
    for (const b of [2, 3, 8]) expect(perBit * b + fixed).toBe(layerStoredBits(layer, b));
  });

  it('averages total stored bits over total weights', () => {
    const other = { params: 8, outFeatures: 2 };
    // second layer at 2 bits: 16 codes + 64 scale bits + 4 zero-point bits = 84
    expect(averageBits([layer, other], [4, 2])).toBeCloseTo((252 + 84) / 20, 12);
  });

  it('accepts an average landing exactly on the budget despite float rounding', () => {
    expect(withinBudget(0.1 + 0.2, 0.3)).toBe(true);
    expect(withinBudget(4.001, 4)).toBe(false);
  });

  it('rejects inconsistent layers and mismatched widths with a clear message', () => {
    expect(() => layerStoredBits({ params: 10, outFeatures: 3 }, 4)).toThrow(/not a multiple of its 3 output channels/);
    expect(() => layerStoredBits({ ...layer, restoredChannels: 4 }, 4)).toThrow(/restoredChannels must be an integer in 0..3/);
    expect(() => layerStoredBits(layer, 0)).toThrow(/bit width must be an integer 1..16/);
    expect(() => averageBits([layer], [4, 4])).toThrow(/2 bit widths for 1 layers/);
    expect(() => layerStoredBits(layer, 4, { scaleBits: 8 as never })).toThrow(/scaleBits must be 32 or 16/);
  });
});
