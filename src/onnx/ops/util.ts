import { GraphError } from '../ir.ts';
import { printableName } from '../names.ts';
import type { OpContext, RefTensor, ValueShape } from './types.ts';
import { unsupported } from './attrs.ts';

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A possibly negative axis made non-negative; throws (naming the node) when out of range. */
export function normalizeAxis(axis: number, rank: number, ctx: OpContext): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** A problem with one node of the file: a GraphError naming the op and the node. */
export function nodeError(ctx: OpContext, message: string): GraphError {
  return new GraphError(`${printableName(ctx.node.opType)} at node "${printableName(ctx.node.name)}": ${message}`, ctx.node.name);
}

/** Input i, which must be present. */
export function need<T extends ValueShape>(inputs: readonly (T | undefined)[], i: number, ctx: OpContext): T {
  const v = inputs[i];
  if (v === undefined) throw nodeError(ctx, `input ${i} ("${ctx.node.inputs[i] ?? ''}") is missing`);
  return v;
}

/** The integer values of a constant input (e.g. a Reshape target), which must be known at plan time. */
export function constInts(constants: readonly (RefTensor | undefined)[], i: number): number[] | undefined {
  const c = constants[i];
  if (c === undefined) return undefined;
  return Array.from(c.data);
}

export function requireConstInts(constants: readonly (RefTensor | undefined)[], i: number, ctx: OpContext, what: string): number[] {
  const v = constInts(constants, i);
  if (v === undefined) throw unsupported(ctx, `${what} (input ${i}) must be known at plan time`);
  return v;
}

/** Whether input i is given (non-empty name in the node). */
export function hasInput(ctx: OpContext, i: number): boolean {
  return (ctx.node.inputs[i] ?? '') !== '';
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Copies a strided view: output element at multi-index idx (row-major over outDims) reads
 * data[base + sum_d idx[d] * strides[d]]. Transpose, Slice and Expand are all such views.
 */
export function stridedCopy(data: Float64Array, outDims: readonly number[], strides: readonly number[], base = 0): Float64Array {
  const total = sizeOf(outDims);
  const out = new Float64Array(total);
  if (total === 0) return out;
  const rank = outDims.length;
  const idx = new Array<number>(rank).fill(0);
  let off = base;
  const last = rank - 1;
  if (rank === 0) {
    out[0] = data[base];
    return out;
  }
  const innerDim = outDims[last];
  const innerStride = strides[last];
  for (let i = 0; i < total; ) {
    for (let k = 0, o = off; k < innerDim; k++, o += innerStride) out[i++] = data[o];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < outDims[d]) break;
      off -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}
