import { allowAttrs, attrFloat, attrInt, attrInts, attrString, unsupported } from './attrs.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { printableName } from '../names.ts';
import { constInts, hasInput, need, nodeError, normalizeAxis, requireConstInts, sizeOf, stridedCopy, stridesOf } from './util.ts';

function permOf(ctx: OpContext, rank: number): number[] {
  const perm = attrInts(ctx, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i)) throw nodeError(ctx, `perm [${perm.join(', ')}] is not a permutation of rank ${rank}`);
  return perm;
}

const transpose: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['perm']);
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: permOf(ctx, x.dims.length).map((p) => x.dims[p]) }];
  },
  evaluate(inputs, ctx) {
    const [shape] = transpose.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    const inStrides = stridesOf(x.dims);
    const strides = permOf(ctx, x.dims.length).map((p) => inStrides[p]);
    return [{ ...shape, data: stridedCopy(x.data, shape.dims, strides) }];
  },
};

const concat: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['axis']);
    const parts = inputs.map((_, i) => need(inputs, i, ctx));
    if (parts.length === 0) throw nodeError(ctx, 'needs at least one input');
    const first = parts[0];
    const axisAttr = attrInt(ctx, 'axis');
    if (axisAttr === undefined) throw nodeError(ctx, 'attribute axis is required');
    const axis = normalizeAxis(axisAttr, first.dims.length, ctx);
    const dims = [...first.dims];
    dims[axis] = 0;
    for (const p of parts) {
      if (p.dims.length !== dims.length || p.dims.some((d, i) => i !== axis && d !== dims[i])) {
        throw nodeError(ctx, `inputs [${parts.map((q) => q.dims.join('x')).join(', ')}] do not concatenate on axis ${axis}`);
      }
      dims[axis] += p.dims[axis];
    }
    return [{ dtype: first.dtype, dims }];
  },
  evaluate(inputs, ctx) {
    const [shape] = concat.infer(inputs, ctx, inputs);
    const axis = normalizeAxis(attrInt(ctx, 'axis', 0), shape.dims.length, ctx);
    const outer = sizeOf(shape.dims.slice(0, axis));
    const inner = sizeOf(shape.dims.slice(axis + 1));
    const out = new Float64Array(sizeOf(shape.dims));
    const rowOut = shape.dims[axis] * inner;
    let pos = 0;
    for (const p of inputs as RefTensor[]) {
      const chunk = p.dims[axis] * inner;
      for (let o = 0; o < outer; o++) out.set(p.data.subarray(o * chunk, (o + 1) * chunk), o * rowOut + pos);
      pos += chunk;
    }
    return [{ ...shape, data: out }];
  },
};

function splitSizes(inputs: readonly (ValueShape | undefined)[], ctx: OpContext, constants: readonly (RefTensor | undefined)[]): { axis: number; sizes: number[] } {
  allowAttrs(ctx, ctx.opset < 13 ? ['axis', 'split'] : ctx.opset < 18 ? ['axis'] : ['axis', 'num_outputs']);
  const x = need(inputs, 0, ctx);
  const axis = normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
  const dim = x.dims[axis];
  const count = ctx.node.outputs.length;
  let sizes = ctx.opset < 13 ? attrInts(ctx, 'split') : hasInput(ctx, 1) ? requireConstInts(constants, 1, ctx, 'split') : undefined;
  if (!sizes) {
    const n = attrInt(ctx, 'num_outputs') ?? count;
    if (n !== count) throw nodeError(ctx, `num_outputs=${n} but the node has ${count} outputs`);
    const chunk = Math.ceil(dim / n);
    if (attrInt(ctx, 'num_outputs') === undefined && dim % n !== 0) throw nodeError(ctx, `axis of size ${dim} does not split evenly in ${n}`);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (sizes.length !== count || sizes.reduce((a, b) => a + b, 0) !== dim || sizes.some((s) => s < 0)) {
    throw nodeError(ctx, `split [${sizes.join(', ')}] does not divide an axis of size ${dim} into ${count} outputs`);
  }
  return { axis, sizes };
}

const split: OpDefinition = {
  infer(inputs, ctx, constants) {
    const x = need(inputs, 0, ctx);
    const { axis, sizes } = splitSizes(inputs, ctx, constants);
    return sizes.map((s) => ({ dtype: x.dtype, dims: x.dims.map((d, i) => (i === axis ? s : d)) }));
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const { axis, sizes } = splitSizes(inputs, ctx, inputs);
    const strides = stridesOf(x.dims);
    let start = 0;
    return sizes.map((s) => {
      const dims = x.dims.map((d, i) => (i === axis ? s : d));
      const data = stridedCopy(x.data, dims, strides, start * strides[axis]);
      start += s;
      return { dtype: x.dtype, dims, data };
    });
  },
};

export interface SliceAxis {
  start: number;
  step: number;
  count: number;
}

/** Per-axis start, step and element count, with ONNX's clamping of negative and huge bounds. */
export function slicePlan(inputs: readonly (ValueShape | undefined)[], ctx: OpContext, constants: readonly (RefTensor | undefined)[]): SliceAxis[] {
  const x = need(inputs, 0, ctx);
  const rank = x.dims.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    allowAttrs(ctx, ['starts', 'ends', 'axes']);
    starts = attrInts(ctx, 'starts') ?? [];
    ends = attrInts(ctx, 'ends') ?? [];
    axes = attrInts(ctx, 'axes');
  } else {
    allowAttrs(ctx, []);
    starts = requireConstInts(constants, 1, ctx, 'starts');
    ends = requireConstInts(constants, 2, ctx, 'ends');
    axes = hasInput(ctx, 3) ? requireConstInts(constants, 3, ctx, 'axes') : undefined;
    steps = hasInput(ctx, 4) ? requireConstInts(constants, 4, ctx, 'steps') : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw nodeError(ctx, 'starts, ends, axes and steps differ in length');
  }
  const plan: SliceAxis[] = x.dims.map((d) => ({ start: 0, step: 1, count: d }));
  axes.forEach((a, i) => {
    const axis = normalizeAxis(a, rank, ctx);
    const dim = x.dims[axis];
    const step = steps![i];
    if (step === 0) throw nodeError(ctx, 'step must not be zero');
    let start = starts[i] < 0 ? starts[i] + dim : starts[i];
    let end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    plan[axis] = { start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  });
  return plan;
}

const slice: OpDefinition = {
  infer(inputs, ctx, constants) {
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: slicePlan(inputs, ctx, constants).map((p) => p.count) }];
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const plan = slicePlan(inputs, ctx, inputs);
    const inStrides = stridesOf(x.dims);
    const dims = plan.map((p) => p.count);
    const base = plan.reduce((acc, p, i) => acc + (p.count > 0 ? p.start * inStrides[i] : 0), 0);
    const strides = plan.map((p, i) => p.step * inStrides[i]);
    return [{ dtype: x.dtype, dims, data: stridedCopy(x.data, dims, strides, base) }];
  },
};

const gather: OpDefinition = {
  infer(inputs, ctx, constants) {
    allowAttrs(ctx, ['axis']);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    const axis = normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
    // Constant indices are checked at plan time: the GPU kernel would clamp them silently.
    const known = constants[1];
    const bad = known?.data.find((i) => !Number.isInteger(i) || i < -x.dims[axis]! || i >= x.dims[axis]!);
    if (bad !== undefined) throw nodeError(ctx, `indices "${printableName(ctx.node.inputs[1]!)}" hold index ${bad}, which is out of range for axis ${axis} of size ${x.dims[axis]}`);
    return [{ dtype: x.dtype, dims: [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = gather.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    const axis = normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const dim = x.dims[axis];
    const out = new Float64Array(sizeOf(shape.dims));
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (let k = 0; k < idx.data.length; k++) {
        const i = checkedIndex(idx.data[k], dim, ctx);
        const src = (b * dim + i) * inner;
        out.set(x.data.subarray(src, src + inner), o);
        o += inner;
      }
    }
    return [{ ...shape, data: out }];
  },
};

function checkedIndex(raw: number, dim: number, ctx: OpContext): number {
  const i = raw < 0 ? raw + dim : raw;
  if (!Number.isInteger(i) || i < 0 || i >= dim) throw nodeError(ctx, `index ${raw} is out of range for an axis of size ${dim}`);
  return i;
}

const gatherElements: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['axis']);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    if (idx.dims.length !== x.dims.length) throw nodeError(ctx, 'indices must have the rank of data');
    normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
    return [{ dtype: x.dtype, dims: [...idx.dims] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = gatherElements.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    const axis = normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
    const xs = stridesOf(x.dims);
    const is = stridesOf(idx.dims);
    const out = new Float64Array(idx.data.length);
    for (let k = 0; k < out.length; k++) {
      let rem = k;
      let off = 0;
      for (let d = 0; d < idx.dims.length; d++) {
        const c = Math.floor(rem / is[d]);
        rem -= c * is[d];
        off += (d === axis ? checkedIndex(idx.data[k], x.dims[axis], ctx) : c) * xs[d];
      }
      out[k] = x.data[off];
    }
    return [{ ...shape, data: out }];
  },
};

const tile: OpDefinition = {
  infer(inputs, ctx, constants) {
    allowAttrs(ctx, []);
    const x = need(inputs, 0, ctx);
    const repeats = requireConstInts(constants, 1, ctx, 'repeats');
    if (repeats.length !== x.dims.length || repeats.some((r) => r < 0)) throw nodeError(ctx, `repeats [${repeats.join(', ')}] do not fit rank ${x.dims.length}`);
    return [{ dtype: x.dtype, dims: x.dims.map((d, i) => d * repeats[i]) }];
  },
  evaluate(inputs, ctx) {
    const [shape] = tile.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    return [{ ...shape, data: mapIndices(x, shape.dims, (o, d) => o % x.dims[d]) }];
  },
};

/** out[idx] = x[map(idx)] where each output coordinate maps to an input coordinate, or -1 for "fill". */
function mapIndices(x: RefTensor, outDims: readonly number[], map: (o: number, axis: number) => number, fill = 0): Float64Array {
  const rank = outDims.length;
  const xs = stridesOf(x.dims);
  const total = sizeOf(outDims);
  const out = new Float64Array(total);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < total; k++) {
    let off = 0;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const i = map(idx[d], d);
      if (i < 0) {
        inside = false;
        break;
      }
      off += i * xs[d];
    }
    out[k] = inside ? x.data[off] : fill;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export interface PadPlan {
  begin: number[];
  dims: number[];
  mode: string;
  value: number;
}

export function padPlan(inputs: readonly (ValueShape | undefined)[], ctx: OpContext, constants: readonly (RefTensor | undefined)[]): PadPlan {
  const x = need(inputs, 0, ctx);
  const rank = x.dims.length;
  let pads: number[];
  let value = 0;
  let axes: number[] = x.dims.map((_, i) => i);
  if (ctx.opset < 11) {
    allowAttrs(ctx, ['mode', 'pads', 'value']);
    pads = attrInts(ctx, 'pads') ?? [];
    value = attrFloat(ctx, 'value', 0);
  } else {
    allowAttrs(ctx, ['mode']);
    pads = requireConstInts(constants, 1, ctx, 'pads');
    if (hasInput(ctx, 2)) {
      const v = constInts(constants, 2);
      if (v === undefined) throw unsupported(ctx, 'constant_value must be known at plan time');
      value = v[0] ?? 0;
    }
    if (hasInput(ctx, 3)) axes = requireConstInts(constants, 3, ctx, 'axes').map((a) => normalizeAxis(a, rank, ctx));
  }
  if (pads.length !== 2 * axes.length) throw nodeError(ctx, `${pads.length} pads for ${axes.length} axes`);
  const mode = attrString(ctx, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') throw unsupported(ctx, `mode="${mode}"`);
  const begin = new Array<number>(rank).fill(0);
  const dims = [...x.dims];
  axes.forEach((a, i) => {
    begin[a] = pads[i];
    dims[a] += pads[i] + pads[i + axes.length];
    if (dims[a] < 0) throw nodeError(ctx, `pads crop axis ${a} below zero`);
  });
  return { begin, dims, mode, value };
}

const pad: OpDefinition = {
  infer(inputs, ctx, constants) {
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: padPlan(inputs, ctx, constants).dims }];
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const { begin, dims, mode, value } = padPlan(inputs, ctx, inputs);
    if (mode === 'reflect' && x.dims.some((d, i) => d < 2 && dims[i] !== d)) throw nodeError(ctx, 'reflect padding needs at least 2 elements per padded axis');
    const map = (o: number, d: number): number => {
      const n = x.dims[d];
      const i = o - begin[d];
      if (i >= 0 && i < n) return i;
      if (mode === 'constant' || n === 0) return -1;
      if (mode === 'edge') return i < 0 ? 0 : n - 1;
      const period = 2 * (n - 1);
      const r = ((i % period) + period) % period;
      return r < n ? r : period - r;
    };
    return [{ dtype: x.dtype, dims, data: mapIndices(x, dims, map, value) }];
  },
};

const scatterReducers: Record<string, (old: number, update: number) => number> = {
  none: (_old, u) => u,
  add: (a, u) => a + u,
  mul: (a, u) => a * u,
  max: Math.max,
  min: Math.min,
};

/** ScatterND: copies data, then writes update slices at the index tuples in `indices`' last axis. */
const scatterND: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['reduction']);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    const upd = need(inputs, 2, ctx);
    const k = idx.dims[idx.dims.length - 1];
    const want = [...idx.dims.slice(0, -1), ...x.dims.slice(k)];
    if (idx.dims.length === 0 || k > x.dims.length || upd.dims.join() !== want.join()) {
      throw nodeError(ctx, `updates [${upd.dims.join(', ')}] do not fit indices [${idx.dims.join(', ')}] into data [${x.dims.join(', ')}]`);
    }
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = scatterND.infer(inputs, ctx, inputs);
    const reduction = attrString(ctx, 'reduction', 'none');
    const combine = scatterReducers[reduction];
    if (!combine) throw unsupported(ctx, `reduction="${reduction}"`);
    const x = need(inputs, 0, ctx);
    const idx = need(inputs, 1, ctx);
    const upd = need(inputs, 2, ctx);
    const k = idx.dims[idx.dims.length - 1];
    const xs = stridesOf(x.dims);
    const slice = sizeOf(x.dims.slice(k));
    const out = Float64Array.from(x.data);
    const tuples = idx.data.length / Math.max(k, 1);
    for (let t = 0; t < tuples; t++) {
      let off = 0;
      for (let j = 0; j < k; j++) off += checkedIndex(idx.data[t * k + j], x.dims[j], ctx) * xs[j];
      for (let e = 0; e < slice; e++) out[off + e] = combine(out[off + e], upd.data[t * slice + e]);
    }
    return [{ ...shape, data: out }];
  },
};

export const movementOps: OpRegistry = {
  ScatterND: scatterND,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  GatherElements: gatherElements,
  Tile: tile,
  Pad: pad,
};
