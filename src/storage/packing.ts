/**
 * Bit packing of integer codes, LSB first: code i occupies bits [i*w, (i+1)*w) of the stream,
 * byte 0 holding the lowest bits. That is MatMulNBits' layout for B and its zero points, and the
 * 4-bit ONNX tensors' nibble order. Any width 1..8 packs; widths that do not divide 8 straddle bytes.
 */

function checkWidth(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`bit width must be an integer 1..8, got ${bits}`);
}

export function packedBytes(count: number, bits: number): number {
  checkWidth(bits);
  return Math.ceil((count * bits) / 8);
}

export function packBits(codes: ArrayLike<number>, bits: number): Uint8Array {
  checkWidth(bits);
  const out = new Uint8Array(packedBytes(codes.length, bits));
  const max = (1 << bits) - 1;
  for (let i = 0; i < codes.length; i++) {
    const q = codes[i];
    if (!Number.isInteger(q) || q < 0 || q > max) throw new RangeError(`code ${q} at ${i} does not fit ${bits} bits`);
    const at = i * bits;
    const byte = at >> 3;
    const shift = at & 7;
    out[byte] |= (q << shift) & 0xff;
    if (shift + bits > 8) out[byte + 1] |= q >> (8 - shift);
  }
  return out;
}

export function unpackBits(packed: Uint8Array, count: number, bits: number): Uint8Array {
  checkWidth(bits);
  if (packed.length < packedBytes(count, bits)) throw new RangeError(`${packed.length} bytes cannot hold ${count} codes of ${bits} bits`);
  const out = new Uint8Array(count);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) {
    const at = i * bits;
    const byte = at >> 3;
    const shift = at & 7;
    let v = packed[byte] >> shift;
    if (shift + bits > 8) v |= packed[byte + 1] << (8 - shift);
    out[i] = v & mask;
  }
  return out;
}

/** MatMulNBits stores 2, 4 and 8 bits; 3 goes to 4, and 5 to 7 go to 8, with the true width recorded beside. */
export function nbitsContainer(bits: number): 2 | 4 | 8 {
  checkWidth(bits);
  return bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
}

/** DequantizeLinear's unsigned code types: uint4 (opset 21) up to 4 bits, uint8 above. */
export function qdqContainer(bits: number): 'uint4' | 'uint8' {
  checkWidth(bits);
  return bits <= 4 ? 'uint4' : 'uint8';
}
