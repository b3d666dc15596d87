import { allowAttrs, attrInt, attrInts } from './attrs.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { hasInput, need, nodeError, normalizeAxis, requireConstInts, sizeOf, stridesOf } from './util.ts';

interface ReducePlan {
  /** Reduced axes (sorted, non-negative); empty with noop means identity. */
  axes: number[];
  noop: boolean;
  keepDims: boolean;
}

/** The opset where each reduction moved `axes` from an attribute to an input. */
function axesBecameInput(opType: string): number {
  return opType === 'ReduceSum' ? 13 : 18;
}

export function reducePlan(x: ValueShape, ctx: OpContext, constants: readonly (RefTensor | undefined)[]): ReducePlan {
  const asInput = ctx.opset >= axesBecameInput(ctx.node.opType);
  allowAttrs(ctx, asInput ? ['keepdims', 'noop_with_empty_axes'] : ['keepdims', 'axes']);
  const raw = asInput ? (hasInput(ctx, 1) ? requireConstInts(constants, 1, ctx, 'axes') : []) : (attrInts(ctx, 'axes') ?? []);
  const noopFlag = asInput && attrInt(ctx, 'noop_with_empty_axes', 0) === 1;
  const rank = x.dims.length;
  let axes = [...new Set(raw.map((a) => normalizeAxis(a, rank, ctx)))].sort((a, b) => a - b);
  if (axes.length === 0 && !noopFlag) axes = x.dims.map((_, i) => i);
  return { axes, noop: axes.length === 0, keepDims: attrInt(ctx, 'keepdims', 1) === 1 };
}

function reducedDims(dims: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  dims.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** For every input element, the offset of the output element it reduces into. */
export function reductionTargets(dims: readonly number[], axes: readonly number[]): { targets: Int32Array; outSize: number } {
  const kept = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  const total = sizeOf(dims);
  const targets = new Int32Array(total);
  const idx = new Array<number>(dims.length).fill(0);
  let off = 0;
  for (let k = 0; k < total; k++) {
    targets[k] = off;
    for (let d = dims.length - 1; d >= 0; d--) {
      idx[d]++;
      off += keptStrides[d];
      if (idx[d] < dims[d]) break;
      off -= keptStrides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return { targets, outSize: sizeOf(kept) };
}

interface Reducer {
  init: number;
  step: (acc: number, v: number) => number;
  finish: (acc: number, count: number) => number;
}

function reduction(r: Reducer): OpDefinition {
  return {
    infer(inputs, ctx, constants) {
      const x = need(inputs, 0, ctx);
      const plan = reducePlan(x, ctx, constants);
      return [{ dtype: x.dtype, dims: plan.noop ? [...x.dims] : reducedDims(x.dims, plan.axes, plan.keepDims) }];
    },
    evaluate(inputs, ctx) {
      const x = need(inputs, 0, ctx);
      const plan = reducePlan(x, ctx, inputs);
      if (plan.noop) return [x];
      const { targets, outSize } = reductionTargets(x.dims, plan.axes);
      const acc = new Float64Array(outSize).fill(r.init);
      for (let k = 0; k < targets.length; k++) acc[targets[k]] = r.step(acc[targets[k]], x.data[k]);
      const count = outSize === 0 ? 0 : x.data.length / outSize;
      for (let i = 0; i < outSize; i++) acc[i] = r.finish(acc[i], count);
      return [{ dtype: x.dtype, dims: reducedDims(x.dims, plan.axes, plan.keepDims), data: acc }];
    },
  };
}

const same = (a: number) => a;
const add = (a: number, v: number) => a + v;

function argReduce(better: (v: number, best: number, preferLast: boolean) => boolean): OpDefinition {
  const plan = (x: ValueShape, ctx: OpContext) => {
    allowAttrs(ctx, ['axis', 'keepdims', 'select_last_index']);
    const axis = normalizeAxis(attrInt(ctx, 'axis', 0), x.dims.length, ctx);
    const keep = attrInt(ctx, 'keepdims', 1) === 1;
    return { axis, keep, last: attrInt(ctx, 'select_last_index', 0) === 1, dims: reducedDims(x.dims, [axis], keep) };
  };
  return {
    infer(inputs, ctx) {
      return [{ dtype: 'int64', dims: plan(need(inputs, 0, ctx), ctx).dims }];
    },
    evaluate(inputs, ctx) {
      const x = need(inputs, 0, ctx);
      const { axis, last, dims } = plan(x, ctx);
      const n = x.dims[axis];
      if (n === 0) throw nodeError(ctx, 'cannot take the arg of an empty axis');
      const outer = sizeOf(x.dims.slice(0, axis));
      const inner = sizeOf(x.dims.slice(axis + 1));
      const out = new Float64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let best = x.data[o * n * inner + i];
          let at = 0;
          for (let k = 1; k < n; k++) {
            const v = x.data[(o * n + k) * inner + i];
            if (better(v, best, last)) {
              best = v;
              at = k;
            }
          }
          out[o * inner + i] = at;
        }
      }
      return [{ dtype: 'int64', dims, data: out }];
    },
  };
}

const globalAveragePool: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, []);
    const x = need(inputs, 0, ctx);
    if (x.dims.length < 3) throw nodeError(ctx, `input of rank ${x.dims.length} has no spatial axes`);
    return [{ dtype: x.dtype, dims: x.dims.map((d, i) => (i < 2 ? d : 1)) }];
  },
  evaluate(inputs, ctx) {
    const [shape] = globalAveragePool.infer(inputs, ctx, []);
    const x = need(inputs, 0, ctx);
    const planes = x.dims[0] * x.dims[1];
    const area = sizeOf(x.dims.slice(2));
    const out = new Float64Array(planes);
    for (let p = 0; p < planes; p++) {
      let s = 0;
      for (let k = 0; k < area; k++) s += x.data[p * area + k];
      out[p] = s / area;
    }
    return [{ ...shape, data: out }];
  },
};

const cumSum: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['exclusive', 'reverse']);
    const x = need(inputs, 0, ctx);
    need(inputs, 1, ctx);
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = cumSum.infer(inputs, ctx, inputs);
    const x = need(inputs, 0, ctx);
    const axisT = need(inputs, 1, ctx);
    if (axisT.data.length !== 1) throw nodeError(ctx, 'axis must be a scalar');
    const axis = normalizeAxis(axisT.data[0], x.dims.length, ctx);
    const exclusive = attrInt(ctx, 'exclusive', 0) === 1;
    const reverse = attrInt(ctx, 'reverse', 0) === 1;
    const n = x.dims[axis];
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const out = new Float64Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let step = 0; step < n; step++) {
          const k = reverse ? n - 1 - step : step;
          const at = (o * n + k) * inner + i;
          if (exclusive) {
            out[at] = acc;
            acc += x.data[at];
          } else {
            acc += x.data[at];
            out[at] = acc;
          }
        }
      }
    }
    return [{ ...shape, data: out }];
  },
};

export const reduceOps: OpRegistry = {
  CumSum: cumSum,
  ReduceSum: reduction({ init: 0, step: add, finish: same }),
  ReduceMean: reduction({ init: 0, step: add, finish: (a, n) => a / n }),
  ReduceMax: reduction({ init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a), finish: same }),
  ReduceMin: reduction({ init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a), finish: same }),
  ReduceProd: reduction({ init: 1, step: (a, v) => a * v, finish: same }),
  ReduceL1: reduction({ init: 0, step: (a, v) => a + Math.abs(v), finish: same }),
  ReduceL2: reduction({ init: 0, step: (a, v) => a + v * v, finish: Math.sqrt }),
  ReduceSumSquare: reduction({ init: 0, step: (a, v) => a + v * v, finish: same }),
  ArgMax: argReduce((v, best, last) => v > best || (last && v === best)),
  ArgMin: argReduce((v, best, last) => v < best || (last && v === best)),
  GlobalAveragePool: globalAveragePool,
};
