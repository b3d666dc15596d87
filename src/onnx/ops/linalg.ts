import { allowAttrs, attrFloat, attrInt } from './attrs.ts';
import { broadcastDims, broadcastOffsets, broadcastsTo } from './broadcast.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { need, nodeError, sizeOf } from './util.ts';

export interface MatmulPlan {
  /** Output dims as ONNX reports them (1-D operands' unit axes removed). */
  dims: number[];
  batch: number[];
  m: number;
  k: number;
  n: number;
  aBatch: number[];
  bBatch: number[];
}

/** numpy.matmul shapes: a 1-D A gains a leading 1, a 1-D B a trailing 1, both removed after. */
export function matmulPlan(a: ValueShape, b: ValueShape, ctx: OpContext): MatmulPlan {
  if (a.dims.length === 0 || b.dims.length === 0) throw nodeError(ctx, 'operands must have rank >= 1');
  const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const [m, k] = ad.slice(-2);
  const [kb, n] = bd.slice(-2);
  if (k !== kb) throw nodeError(ctx, `inner dims differ: [${a.dims.join(', ')}] x [${b.dims.join(', ')}]`);
  const aBatch = ad.slice(0, -2);
  const bBatch = bd.slice(0, -2);
  const batch = broadcastDims([aBatch, bBatch], ctx);
  const dims = [...batch];
  if (a.dims.length > 1) dims.push(m);
  if (b.dims.length > 1) dims.push(n);
  return { dims, batch, m, k, n, aBatch, bBatch };
}

const matmul: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, []);
    const a = need(inputs, 0, ctx);
    return [{ dtype: a.dtype, dims: matmulPlan(a, need(inputs, 1, ctx), ctx).dims }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, []);
    const a = need(inputs, 0, ctx);
    const b = need(inputs, 1, ctx);
    const { dims, batch, m, k, n, aBatch, bBatch } = matmulPlan(a, b, ctx);
    const aOff = broadcastOffsets(aBatch, batch);
    const bOff = broadcastOffsets(bBatch, batch);
    const out = new Float64Array(sizeOf(batch) * m * n);
    const row = new Float64Array(n);
    for (let z = 0; z < aOff.length; z++) {
      const a0 = aOff[z] * m * k;
      const b0 = bOff[z] * k * n;
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = a.data[a0 + i * k + p];
          const br = b0 + p * n;
          for (let j = 0; j < n; j++) row[j] += av * b.data[br + j];
        }
        out.set(row, (z * m + i) * n);
      }
    }
    return [{ dtype: a.dtype, dims, data: out }];
  },
};

export function gemmPlan(inputs: readonly (ValueShape | undefined)[], ctx: OpContext) {
  allowAttrs(ctx, ['alpha', 'beta', 'transA', 'transB']);
  const a = need(inputs, 0, ctx);
  const b = need(inputs, 1, ctx);
  if (a.dims.length !== 2 || b.dims.length !== 2) throw nodeError(ctx, 'A and B must be 2-D');
  const transA = attrInt(ctx, 'transA', 0) === 1;
  const transB = attrInt(ctx, 'transB', 0) === 1;
  const [m, k] = transA ? [a.dims[1], a.dims[0]] : a.dims;
  const [kb, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  if (k !== kb) throw nodeError(ctx, `inner dims differ: [${a.dims.join(', ')}] x [${b.dims.join(', ')}]`);
  const c = inputs[2];
  if (c && !broadcastsTo(c.dims, [m, n])) throw nodeError(ctx, `C [${c.dims.join(', ')}] does not broadcast to [${m}, ${n}]`);
  return { m, k, n, transA, transB, alpha: attrFloat(ctx, 'alpha', 1), beta: attrFloat(ctx, 'beta', 1) };
}

const gemm: OpDefinition = {
  infer(inputs, ctx) {
    const { m, n } = gemmPlan(inputs, ctx);
    return [{ dtype: need(inputs, 0, ctx).dtype, dims: [m, n] }];
  },
  evaluate(inputs, ctx) {
    const { m, k, n, transA, transB, alpha, beta } = gemmPlan(inputs, ctx);
    const a = need(inputs, 0, ctx);
    const b = need(inputs, 1, ctx);
    const c: RefTensor | undefined = inputs[2];
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          s += a.data[transA ? p * m + i : i * k + p] * b.data[transB ? j * k + p : p * n + j];
        }
        out[i * n + j] = alpha * s;
      }
    }
    if (c) {
      const co = broadcastOffsets(c.dims, [m, n]);
      for (let i = 0; i < out.length; i++) out[i] += beta * c.data[co[i]];
    }
    return [{ dtype: a.dtype, dims: [m, n], data: out }];
  },
};

export const linalgOps: OpRegistry = {
  MatMul: matmul,
  Gemm: gemm,
};
