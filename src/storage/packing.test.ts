import { describe, expect, it } from 'vitest';
import { nbitsContainer, packBits, packedBytes, qdqContainer, unpackBits } from './packing.ts';
import { randomFloats } from '../gpu/testing.ts';

describe('bit packing', () => {
  for (let bits = 1; bits <= 8; bits++) {
    it(`${bits}-bit codes pack LSB first into ${bits} bits each and unpack to the same codes`, () => {
      for (const count of [1, 7, 8, 9, 31, 100]) {
        const codes = Uint8Array.from(randomFloats(count, bits * 1000 + count), (v) => Math.floor(((v + 1) / 2) * 2 ** bits));
        codes[0] = 2 ** bits - 1; // the extreme code at a byte boundary
        const packed = packBits(codes, bits);
        expect(packed.length).toBe(Math.ceil((count * bits) / 8));
        expect(packedBytes(count, bits)).toBe(packed.length);
        expect(Array.from(unpackBits(packed, count, bits))).toEqual(Array.from(codes));
      }
    });
  }

  it('puts the first code in the lowest bits (onnxruntime and 4-bit ONNX tensors)', () => {
    expect(Array.from(packBits([1, 2], 4))).toEqual([0x21]);
    expect(Array.from(packBits([1, 2, 3, 0], 2))).toEqual([0b00111001]);
    expect(Array.from(packBits([5, 7, 1], 3))).toEqual([0b01111101, 0]);
    expect(Array.from(packBits([0, 0, 4], 3))).toEqual([0, 1]); // a code straddling bytes 0 and 1
    expect(Array.from(packBits([200], 8))).toEqual([200]);
  });

  it('refuses a code wider than its width and a buffer too short', () => {
    expect(() => packBits([16], 4)).toThrow(/code 16 at 0 does not fit 4 bits/);
    expect(() => packBits([1.5], 4)).toThrow(/does not fit/);
    expect(() => packBits([1], 9)).toThrow(/1..8/);
    expect(() => unpackBits(new Uint8Array(1), 3, 4)).toThrow(/1 bytes cannot hold 3 codes of 4 bits/);
  });

  it('stores 3, 5 and 6 bits in the next container', () => {
    expect([2, 3, 4, 5, 6, 7, 8].map(nbitsContainer)).toEqual([2, 4, 4, 8, 8, 8, 8]);
    expect([2, 3, 4, 5, 6, 8].map(qdqContainer)).toEqual(['uint4', 'uint4', 'uint4', 'uint8', 'uint8', 'uint8']);
  });
});
