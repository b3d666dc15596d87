import { allowAttrs, attrInt, attrInts, attrTensor, unsupported } from './attrs.ts';
import { broadcastDims } from './broadcast.ts';
import { tensorToRef } from './ref-tensor.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor } from './types.ts';
import { constInts, hasInput, need, nodeError, normalizeAxis, requireConstInts, sizeOf, stridedCopy, stridesOf } from './util.ts';

/** Ops whose output is the input's data under new dims: evaluate reuses infer, sharing the data. */
function view(infer: OpDefinition['infer']): OpDefinition {
  return {
    infer,
    evaluate(inputs, ctx) {
      const [shape] = infer(inputs, ctx, inputs);
      return [{ ...shape, data: need(inputs, 0, ctx).data }];
    },
  };
}

const shapeOp: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['start', 'end']);
    const rank = need(inputs, 0, ctx).dims.length;
    const [start, end] = shapeRange(ctx, rank);
    return [{ dtype: 'int64', dims: [Math.max(0, end - start)] }];
  },
  evaluate(inputs, ctx) {
    shapeOp.infer(inputs, ctx, inputs);
    const dims = need(inputs, 0, ctx).dims;
    const [start, end] = shapeRange(ctx, dims.length);
    const values = dims.slice(start, Math.max(start, end));
    return [{ dtype: 'int64', dims: [values.length], data: Float64Array.from(values) }];
  },
};

function shapeRange(ctx: OpContext, rank: number): [number, number] {
  const clampAxis = (a: number) => Math.min(rank, Math.max(0, a < 0 ? a + rank : a));
  return [clampAxis(attrInt(ctx, 'start', 0)), clampAxis(attrInt(ctx, 'end', rank))];
}

const size: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, []);
    need(inputs, 0, ctx);
    return [{ dtype: 'int64', dims: [] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, []);
    return [{ dtype: 'int64', dims: [], data: Float64Array.of(sizeOf(need(inputs, 0, ctx).dims)) }];
  },
};

const reshape = view((inputs, ctx, constants) => {
  allowAttrs(ctx, ['allowzero']);
  const x = need(inputs, 0, ctx);
  const target = requireConstInts(constants, 1, ctx, 'the target shape');
  const allowZero = attrInt(ctx, 'allowzero', 0) === 1;
  const dims = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= x.dims.length) throw nodeError(ctx, `0 at position ${i} has no input dim to copy`);
      return x.dims[i];
    }
    return d;
  });
  const unknown = dims.filter((d) => d === -1).length;
  if (unknown > 1 || dims.some((d) => d < -1)) throw nodeError(ctx, `invalid target shape [${target.join(', ')}]`);
  const known = sizeOf(dims.filter((d) => d !== -1));
  const total = sizeOf(x.dims);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0) throw nodeError(ctx, `cannot reshape [${x.dims.join(', ')}] to [${target.join(', ')}]`);
    dims[dims.indexOf(-1)] = total / known;
  } else if (known !== total) {
    throw nodeError(ctx, `cannot reshape [${x.dims.join(', ')}] (${total} elements) to [${dims.join(', ')}]`);
  }
  return [{ dtype: x.dtype, dims }];
});

const flatten = view((inputs, ctx) => {
  allowAttrs(ctx, ['axis']);
  const x = need(inputs, 0, ctx);
  const rank = x.dims.length;
  let axis = attrInt(ctx, 'axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) throw nodeError(ctx, `axis ${attrInt(ctx, 'axis', 1)} is out of range for rank ${rank}`);
  return [{ dtype: x.dtype, dims: [sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis))] }];
});

/** Squeeze/Unsqueeze axes: an attribute before opset 13, an optional input from 13. */
function axesOf(ctx: OpContext, constants: readonly (RefTensor | undefined)[]): number[] | undefined {
  if (ctx.opset < 13) {
    allowAttrs(ctx, ['axes']);
    return attrInts(ctx, 'axes');
  }
  allowAttrs(ctx, []);
  if (!hasInput(ctx, 1)) return undefined;
  return requireConstInts(constants, 1, ctx, 'axes');
}

const squeeze = view((inputs, ctx, constants) => {
  const x = need(inputs, 0, ctx);
  const axes = axesOf(ctx, constants);
  if (axes === undefined) return [{ dtype: x.dtype, dims: x.dims.filter((d) => d !== 1) }];
  const drop = new Set(axes.map((a) => normalizeAxis(a, x.dims.length, ctx)));
  for (const a of drop) if (x.dims[a] !== 1) throw nodeError(ctx, `cannot squeeze axis ${a} of size ${x.dims[a]}`);
  return [{ dtype: x.dtype, dims: x.dims.filter((_, i) => !drop.has(i)) }];
});

const unsqueeze = view((inputs, ctx, constants) => {
  const x = need(inputs, 0, ctx);
  const axes = axesOf(ctx, constants);
  if (axes === undefined) throw nodeError(ctx, 'axes are required');
  const rank = x.dims.length + axes.length;
  const insert = new Set(axes.map((a) => normalizeAxis(a, rank, ctx)));
  if (insert.size !== axes.length) throw nodeError(ctx, `repeated axes [${axes.join(', ')}]`);
  const dims: number[] = [];
  let src = 0;
  for (let i = 0; i < rank; i++) dims.push(insert.has(i) ? 1 : x.dims[src++]);
  return [{ dtype: x.dtype, dims }];
});

const expand: OpDefinition = {
  infer(inputs, ctx, constants) {
    allowAttrs(ctx, []);
    const x = need(inputs, 0, ctx);
    const target = requireConstInts(constants, 1, ctx, 'the target shape');
    return [{ dtype: x.dtype, dims: broadcastDims([x.dims, target], ctx) }];
  },
  evaluate(inputs, ctx) {
    const [shape] = expand.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    const rank = shape.dims.length;
    const inStrides = stridesOf(x.dims);
    const strides = shape.dims.map((_, o) => {
      const i = o - (rank - x.dims.length);
      return i < 0 || x.dims[i] === 1 ? 0 : inStrides[i];
    });
    return [{ ...shape, data: stridedCopy(x.data, shape.dims, strides) }];
  },
};

function constantOfShapeValue(ctx: OpContext): RefTensor {
  const t = attrTensor(ctx, 'value');
  if (!t) return { dtype: 'float32', dims: [1], data: Float64Array.of(0) };
  const r = tensorToRef(t);
  if (r.data.length !== 1) throw nodeError(ctx, 'value must hold exactly one element');
  return r;
}

const constantOfShape: OpDefinition = {
  infer(_inputs, ctx, constants) {
    allowAttrs(ctx, ['value']);
    const dims = requireConstInts(constants, 0, ctx, 'the shape');
    if (dims.some((d) => d < 0)) throw nodeError(ctx, `negative dim in [${dims.join(', ')}]`);
    return [{ dtype: constantOfShapeValue(ctx).dtype, dims }];
  },
  evaluate(inputs, ctx) {
    const [shape] = constantOfShape.infer(inputs, ctx, inputs);
    return [{ ...shape, data: new Float64Array(sizeOf(shape.dims)).fill(constantOfShapeValue(ctx).data[0]) }];
  },
};

function rangeArgs(constants: readonly (RefTensor | undefined)[], ctx: OpContext): [number, number, number] | undefined {
  const start = constInts(constants, 0);
  const limit = constInts(constants, 1);
  const delta = constInts(constants, 2);
  if (!start || !limit || !delta) return undefined;
  if (start.length !== 1 || limit.length !== 1 || delta.length !== 1) throw nodeError(ctx, 'start, limit and delta must be scalars');
  if (delta[0] === 0) throw nodeError(ctx, 'delta must not be zero');
  return [start[0], limit[0], delta[0]];
}

const range: OpDefinition = {
  infer(inputs, ctx, constants) {
    allowAttrs(ctx, []);
    const start = need(inputs, 0, ctx);
    const args = rangeArgs(constants, ctx);
    if (!args) throw unsupported(ctx, 'start, limit and delta must be known at plan time');
    const [s, l, d] = args;
    return [{ dtype: start.dtype, dims: [Math.max(0, Math.ceil((l - s) / d))] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = range.infer(inputs, ctx, inputs);
    const [s, , d] = rangeArgs(inputs, ctx)!;
    const out = new Float64Array(shape.dims[0]);
    for (let i = 0; i < out.length; i++) out[i] = s + i * d;
    return [{ ...shape, data: out }];
  },
};

export const shapeOps: OpRegistry = {
  Shape: shapeOp,
  Size: size,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Expand: expand,
  ConstantOfShape: constantOfShape,
  Range: range,
};
