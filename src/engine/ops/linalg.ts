import { attrFloat, attrInt } from '../../onnx/ops/attrs.ts';
import { convPlan } from '../../onnx/ops/conv.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { recordStridedCopy } from '../kernels/copy.ts';
import { elementCount, offsetOf, stridesOf } from '../kernels/dispatch.ts';
import { recordBinary, recordUnary } from '../kernels/elementwise.ts';
import { recordIm2col } from '../kernels/gather.ts';
import { recordMatmul } from '../kernels/matmul.ts';
import type { OpRecording } from './context.ts';
import { expandTo, recordTranspose } from './movement.ts';

type Impl = (r: OpRecording) => void;

function unaligned(r: OpRecording, ...ts: GpuTensor[]): void {
  if (ts.some((t) => offsetOf(t) !== 0)) throw r.unsupported('a matrix product on an offset view');
}

const matmul: Impl = (r) => {
  let a = r.input(0);
  let b = r.input(1);
  const out = r.outputs[0];
  unaligned(r, a, b);
  const aDims = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const bDims = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const [M, K] = aDims.slice(-2);
  const N = bDims[bDims.length - 1];
  const aBatch = aDims.slice(0, -2);
  const bBatch = bDims.slice(0, -2);
  const batchDims = out.dims.slice(0, Math.max(0, out.dims.length - (a.dims.length === 1 || b.dims.length === 1 ? 1 : 2)));
  const batch = elementCount(batchDims);
  if (elementCount(bBatch) === 1) {
    // A shared weight: fold A's batch into rows.
    recordMatmul(r.ctx, r.batch, a.buffer, b.buffer, out.buffer, { M: elementCount(aBatch) * M, K, N });
    return;
  }
  const full = [...batchDims];
  if (elementCount(aBatch) !== batch && elementCount(aBatch) !== 1) a = expandTo(r, { ...a, dims: aDims }, [...full, M, K]);
  if (elementCount(bBatch) !== batch) b = expandTo(r, { ...b, dims: bDims }, [...full, K, N]);
  recordMatmul(r.ctx, r.batch, a.buffer, b.buffer, out.buffer, {
    M, K, N, batch, broadcastA: elementCount(aBatch) === 1 && batch > 1,
  });
};

const gemm: Impl = (r) => {
  const alpha = attrFloat(r.op, 'alpha', 1);
  const beta = attrFloat(r.op, 'beta', 1);
  let a = r.input(0);
  const b = r.input(1);
  unaligned(r, a, b);
  const out = r.outputs[0];
  if (attrInt(r.op, 'transA', 0)) {
    const t = r.temp([a.dims[1], a.dims[0]]);
    recordTranspose(r, a, [1, 0], t);
    a = t;
  }
  const transB = attrInt(r.op, 'transB', 0) === 1;
  const [M, K] = a.dims;
  const N = out.dims[1];
  const c = r.inputs[2];
  const biasInKernel = c && beta === 1 && alpha === 1 && c.dims.length === 1 && c.dims[0] === N && offsetOf(c) === 0;
  const addC = Boolean(c && !biasInKernel);
  // Kernels never read and write one buffer, so the scaled and summed steps go through scratch.
  const product = alpha !== 1 || addC ? r.temp(out.dims) : out;
  recordMatmul(r.ctx, r.batch, a.buffer, b.buffer, product.buffer, { M, K, N, transB }, biasInKernel ? c!.buffer : null);
  let result = product;
  if (alpha !== 1) {
    result = addC ? r.temp(out.dims) : out;
    recordUnary(r.ctx, r.batch, 'Affine', product, result, alpha, 0);
  }
  if (c && addC) {
    let term = c;
    if (beta !== 1) {
      term = r.temp(c.dims);
      recordUnary(r.ctx, r.batch, 'Affine', c, term, beta, 0);
    }
    recordBinary(r.ctx, r.batch, 'Add', result, term, out);
  }
};

/**
 * Conv as im2col + matmul per group, then [N, P, O_g] → the output's [N, O_g, P] channel slice.
 * With groups, each group's input channels, weight rows and bias are first copied out (the
 * matmul reads whole buffers from element 0); the scratch is reused by every group, which is
 * safe because the GPU runs the group's reads before the next group's writes.
 */
const conv: Impl = (r) => {
  const x = r.input(0);
  const w = r.input(1);
  const bias = r.inputs[2];
  const out = r.outputs[0];
  const plan = convPlan({ dtype: 'float32', dims: x.dims }, { dtype: 'float32', dims: w.dims }, r.op);
  const G = plan.group;
  const C = plan.inC / G;
  const O = plan.outC / G;
  const P = plan.outH * plan.outW;
  const K = C * plan.kH * plan.kW;
  const plane = plan.inH * plan.inW;
  const grouped = G > 1;
  const xs = grouped ? r.temp([plan.batch, C, plan.inH, plan.inW]) : null;
  const ws = grouped || offsetOf(w) !== 0 ? r.temp([O, K]) : null;
  const bs = bias && (grouped || offsetOf(bias) !== 0) ? r.temp([O]) : null;
  const cols = r.temp([plan.batch, P, K]);
  const rows = r.temp([plan.batch, P, O]);
  const copy = (src: GpuTensor, at: number, dims: number[], srcStrides: number[], dst: GpuTensor) =>
    recordStridedCopy(r.ctx, r.batch, {
      dims, src: src.buffer, srcOffset: offsetOf(src) + at, srcStrides, dst: dst.buffer, dstOffset: 0, dstStrides: stridesOf(dims),
    });
  for (let g = 0; g < G; g++) {
    let input = x;
    if (xs) {
      copy(x, g * C * plane, [plan.batch, C, plane], [plan.inC * plane, plane, 1], xs);
      input = xs;
    }
    if (ws) copy(w, g * O * K, [O * K], [1], ws);
    if (bs && bias) copy(bias, g * O, [O], [1], bs);
    recordIm2col(r.ctx, r.batch, input.buffer, offsetOf(input), cols.buffer, {
      N: plan.batch, C, H: plan.inH, W: plan.inW, KH: plan.kH, KW: plan.kW, OH: plan.outH, OW: plan.outW,
      strideH: plan.strides[0], strideW: plan.strides[1], padTop: plan.padBegin[0], padLeft: plan.padBegin[1],
      dilH: plan.dilations[0], dilW: plan.dilations[1],
    });
    recordMatmul(r.ctx, r.batch, cols.buffer, (ws ?? w).buffer, rows.buffer, { M: plan.batch * P, K, N: O, transB: true }, bias ? (bs ?? bias).buffer : null);
    recordStridedCopy(r.ctx, r.batch, {
      dims: [plan.batch, O, P], src: rows.buffer, srcOffset: 0, srcStrides: [P * O, 1, O],
      dst: out.buffer, dstOffset: offsetOf(out) + g * O * P, dstStrides: [plan.outC * P, P, 1],
    });
  }
};

export const linalgImpls: Record<string, Impl> = { MatMul: matmul, Gemm: gemm, Conv: conv };
