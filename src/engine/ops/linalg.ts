import { attrFloat, attrInt } from '../../onnx/ops/attrs.ts';
import { convPlan } from '../../onnx/ops/conv.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { elementCount, offsetOf } from '../kernels/dispatch.ts';
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

/** Conv as im2col + matmul, then [N, P, O] → [N, O, P]. */
const conv: Impl = (r) => {
  const x = r.input(0);
  const w = r.input(1);
  unaligned(r, w);
  const plan = convPlan({ dtype: 'float32', dims: x.dims }, { dtype: 'float32', dims: w.dims }, r.op);
  if (plan.group !== 1) throw r.unsupported(`grouped convolution (group ${plan.group}) on the GPU`);
  const P = plan.outH * plan.outW;
  const K = plan.inC * plan.kH * plan.kW;
  const O = plan.outC;
  const cols = r.temp([plan.batch, P, K]);
  recordIm2col(r.ctx, r.batch, x.buffer, offsetOf(x), cols.buffer, {
    N: plan.batch, C: plan.inC, H: plan.inH, W: plan.inW, KH: plan.kH, KW: plan.kW, OH: plan.outH, OW: plan.outW,
    strideH: plan.strides[0], strideW: plan.strides[1], padTop: plan.padBegin[0], padLeft: plan.padBegin[1],
    dilH: plan.dilations[0], dilW: plan.dilations[1],
  });
  const bias = r.inputs[2];
  const rows = r.temp([plan.batch, P, O]);
  recordMatmul(r.ctx, r.batch, cols.buffer, w.buffer, rows.buffer, { M: plan.batch * P, K, N: O, transB: true }, bias && offsetOf(bias) === 0 ? bias.buffer : null);
  const out = r.outputs[0];
  recordTranspose(r, rows, [0, 2, 1], { ...out, dims: [plan.batch, O, P] });
};

export const linalgImpls: Record<string, Impl> = { MatMul: matmul, Gemm: gemm, Conv: conv };
