import type { OpContext } from './types.ts';
import { nodeError, sameDims, sizeOf, stridesOf } from './util.ts';

/** Numpy multidirectional broadcasting of several shapes. */
export function broadcastDims(shapes: readonly (readonly number[])[], ctx: OpContext): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw nodeError(ctx, `shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`);
      }
    }
  }
  return out;
}

/**
 * For every element of `outDims` (row-major), the offset of the element of an input of
 * `inDims` that broadcasts onto it. `inDims` must broadcast to `outDims`.
 */
export function broadcastOffsets(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const total = sizeOf(outDims);
  const offsets = new Int32Array(total);
  if (sameDims(inDims, outDims)) {
    for (let i = 0; i < total; i++) offsets[i] = i;
    return offsets;
  }
  if (sizeOf(inDims) === 1) return offsets;
  const rank = outDims.length;
  const inStrides = stridesOf(inDims);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inDims.length; i++) {
    const o = rank - inDims.length + i;
    strides[o] = inDims[i] === 1 ? 0 : inStrides[i];
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < total; i++) {
    offsets[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < outDims[d]) break;
      off -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return offsets;
}

/** Whether `from` broadcasts onto `to` in one direction only (Gemm's C, Expand's input). */
export function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  for (let i = 0; i < from.length; i++) {
    const d = from[from.length - 1 - i];
    if (d !== 1 && d !== to[to.length - 1 - i]) return false;
  }
  return true;
}
