import type { DType } from '../ir.ts';
import { allowAttrs, attrFloat, attrInt, attrString, unsupported } from './attrs.ts';
import { broadcastDims, broadcastOffsets } from './broadcast.ts';
import { erf, floorMod, fmod, roundHalfEven, sigmoid } from './math.ts';
import { castScalar, isFloatDType } from './ref-tensor.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { hasInput, need, sameDims, sizeOf } from './util.ts';

type Unary = (x: number) => number;
type Binary = (a: number, b: number) => number;

/** Integer results wrap and truncate like their dtype; float results are left alone. */
function fitTo(dtype: DType, data: Float64Array): Float64Array {
  if (isFloatDType(dtype)) return data;
  for (let i = 0; i < data.length; i++) data[i] = castScalar(data[i], dtype);
  return data;
}

function unary(make: (ctx: OpContext) => Unary, attrs: readonly string[] = [], outDType?: DType): OpDefinition {
  return {
    infer(inputs, ctx) {
      allowAttrs(ctx, attrs);
      const x = need(inputs, 0, ctx);
      return [{ dtype: outDType ?? x.dtype, dims: [...x.dims] }];
    },
    evaluate(inputs, ctx) {
      allowAttrs(ctx, attrs);
      const x = need(inputs, 0, ctx);
      const fn = make(ctx);
      const out = new Float64Array(x.data.length);
      for (let i = 0; i < out.length; i++) out[i] = fn(x.data[i]);
      const dtype = outDType ?? x.dtype;
      return [{ dtype, dims: [...x.dims], data: fitTo(dtype, out) }];
    },
  };
}

const simple = (fn: Unary) => unary(() => fn);

/** a op b with numpy broadcasting; the result in float64 before any dtype fitting. */
export function binaryMap(a: RefTensor, b: RefTensor, dims: readonly number[], fn: Binary): Float64Array {
  const n = sizeOf(dims);
  const out = new Float64Array(n);
  const ad = a.data;
  const bd = b.data;
  if (sameDims(a.dims, dims) && sameDims(b.dims, dims)) {
    for (let i = 0; i < n; i++) out[i] = fn(ad[i], bd[i]);
  } else if (sameDims(a.dims, dims) && bd.length === 1) {
    const bv = bd[0];
    for (let i = 0; i < n; i++) out[i] = fn(ad[i], bv);
  } else {
    const ao = broadcastOffsets(a.dims, dims);
    const bo = broadcastOffsets(b.dims, dims);
    for (let i = 0; i < n; i++) out[i] = fn(ad[ao[i]], bd[bo[i]]);
  }
  return out;
}

/**
 * A binary op, or a variadic one (Min, Max, Sum, Mean) folded left to right, which gives the
 * same result because broadcasting composes.
 */
function binary(
  make: (ctx: OpContext, dtype: DType) => Binary,
  opts: { variadic?: boolean; outDType?: DType; attrs?: readonly string[]; finish?: (data: Float64Array, count: number) => void } = {},
): OpDefinition {
  const check = (inputs: readonly (ValueShape | undefined)[], ctx: OpContext): ValueShape[] => {
    allowAttrs(ctx, opts.attrs ?? []);
    const arity = opts.variadic ? inputs.length : 2;
    if (arity < 1) throw unsupported(ctx, 'needs at least one input');
    const shapes: ValueShape[] = [];
    for (let i = 0; i < arity; i++) shapes.push(need(inputs, i, ctx));
    return shapes;
  };
  return {
    infer(inputs, ctx) {
      const shapes = check(inputs, ctx);
      return [{ dtype: opts.outDType ?? shapes[0].dtype, dims: broadcastDims(shapes.map((s) => s.dims), ctx) }];
    },
    evaluate(inputs, ctx) {
      const tensors = check(inputs, ctx) as RefTensor[];
      const dims = broadcastDims(tensors.map((s) => s.dims), ctx);
      const fn = make(ctx, tensors[0].dtype);
      let acc: RefTensor = tensors[0];
      if (tensors.length === 1) acc = { ...acc, data: binaryMap(acc, acc, dims, (a) => a) };
      for (let i = 1; i < tensors.length; i++) {
        const partial = broadcastDims([acc.dims, tensors[i].dims], ctx);
        acc = { dtype: acc.dtype, dims: partial, data: binaryMap(acc, tensors[i], partial, fn) };
      }
      opts.finish?.(acc.data, tensors.length);
      const dtype = opts.outDType ?? tensors[0].dtype;
      return [{ dtype, dims, data: fitTo(dtype, acc.data) }];
    },
  };
}

const arith = (fn: Binary) => binary(() => fn);
const compare = (fn: (a: number, b: number) => boolean) => binary(() => (a, b) => (fn(a, b) ? 1 : 0), { outDType: 'bool' });

const where: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, []);
    const [c, x, y] = [need(inputs, 0, ctx), need(inputs, 1, ctx), need(inputs, 2, ctx)];
    return [{ dtype: x.dtype, dims: broadcastDims([c.dims, x.dims, y.dims], ctx) }];
  },
  evaluate(inputs, ctx) {
    const [shape] = where.infer(inputs, ctx, []);
    const [c, x, y] = inputs as RefTensor[];
    const co = broadcastOffsets(c.dims, shape.dims);
    const xo = broadcastOffsets(x.dims, shape.dims);
    const yo = broadcastOffsets(y.dims, shape.dims);
    const out = new Float64Array(co.length);
    for (let i = 0; i < out.length; i++) out[i] = c.data[co[i]] !== 0 ? x.data[xo[i]] : y.data[yo[i]];
    return [{ ...shape, data: out }];
  },
};

function clipBounds(inputs: readonly (RefTensor | undefined)[], ctx: OpContext): [number, number] {
  if (ctx.opset < 11) return [attrFloat(ctx, 'min', -Infinity), attrFloat(ctx, 'max', Infinity)];
  const bound = (i: number, fallback: number) => {
    if (!hasInput(ctx, i)) return fallback;
    const t = need(inputs, i, ctx);
    if (t.data.length !== 1) throw unsupported(ctx, `input ${i} must be a scalar`);
    return t.data[0];
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

const clip: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ctx.opset < 11 ? ['min', 'max'] : []);
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = clip.infer(inputs, ctx, []);
    const x = need(inputs, 0, ctx);
    const [lo, hi] = clipBounds(inputs, ctx);
    const out = x.data.map((v) => (v < lo ? lo : v > hi ? hi : v));
    return [{ ...shape, data: out }];
  },
};

function divide(_ctx: OpContext, dtype: DType): Binary {
  return isFloatDType(dtype) ? (a, b) => a / b : (a, b) => Math.trunc(a / b);
}

function modulo(ctx: OpContext, dtype: DType): Binary {
  const useFmod = attrInt(ctx, 'fmod', 0) === 1;
  if (!useFmod && isFloatDType(dtype)) throw unsupported(ctx, 'fmod=0 is not allowed for floating-point inputs');
  return useFmod ? fmod : floorMod;
}

export const elementwiseOps: OpRegistry = {
  Add: arith((a, b) => a + b),
  Sub: arith((a, b) => a - b),
  Mul: arith((a, b) => a * b),
  Div: binary(divide),
  Pow: arith((a, b) => a ** b),
  Mod: binary(modulo, { attrs: ['fmod'] }),
  Min: binary(() => Math.min, { variadic: true }),
  Max: binary(() => Math.max, { variadic: true }),
  Sum: binary(() => (a, b) => a + b, { variadic: true }),
  Mean: binary(() => (a, b) => a + b, {
    variadic: true,
    finish: (data, count) => {
      for (let i = 0; i < data.length; i++) data[i] /= count;
    },
  }),
  Equal: compare((a, b) => a === b),
  Less: compare((a, b) => a < b),
  Greater: compare((a, b) => a > b),
  LessOrEqual: compare((a, b) => a <= b),
  GreaterOrEqual: compare((a, b) => a >= b),
  And: compare((a, b) => a !== 0 && b !== 0),
  Or: compare((a, b) => a !== 0 || b !== 0),
  Xor: compare((a, b) => (a !== 0) !== (b !== 0)),
  Not: unary(() => (x) => (x === 0 ? 1 : 0), [], 'bool'),
  IsNaN: unary(() => (x) => (Number.isNaN(x) ? 1 : 0), [], 'bool'),
  IsInf: unary(
    (ctx) => {
      const pos = attrInt(ctx, 'detect_positive', 1) === 1;
      const neg = attrInt(ctx, 'detect_negative', 1) === 1;
      return (x) => ((pos && x === Infinity) || (neg && x === -Infinity) ? 1 : 0);
    },
    ['detect_positive', 'detect_negative'],
    'bool',
  ),
  Where: where,
  Clip: clip,
  Sqrt: simple(Math.sqrt),
  Erf: simple(erf),
  Tanh: simple(Math.tanh),
  Exp: simple(Math.exp),
  Log: simple(Math.log),
  Neg: simple((x) => -x),
  Abs: simple(Math.abs),
  Sign: simple(Math.sign),
  Reciprocal: simple((x) => 1 / x),
  Relu: simple((x) => (x > 0 ? x : 0)),
  Sigmoid: simple(sigmoid),
  Sin: simple(Math.sin),
  Cos: simple(Math.cos),
  Floor: simple(Math.floor),
  Ceil: simple(Math.ceil),
  Round: simple(roundHalfEven),
  Softplus: simple((x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))),
  LeakyRelu: unary(
    (ctx) => {
      const alpha = attrFloat(ctx, 'alpha', 0.01);
      return (x) => (x >= 0 ? x : alpha * x);
    },
    ['alpha'],
  ),
  HardSigmoid: unary(
    (ctx) => {
      const alpha = attrFloat(ctx, 'alpha', 0.2);
      const beta = attrFloat(ctx, 'beta', 0.5);
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    },
    ['alpha', 'beta'],
  ),
  HardSwish: simple((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Gelu: unary(
    (ctx) => {
      const approximate = attrString(ctx, 'approximate', 'none');
      if (approximate === 'tanh') {
        const c = Math.sqrt(2 / Math.PI);
        return (x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
      }
      if (approximate !== 'none') throw unsupported(ctx, `approximate="${approximate}"`);
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    },
    ['approximate'],
  ),
};
