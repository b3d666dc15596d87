import type { GpuTensor } from '../../engine/gpu-tensor.ts';
import { elementCount } from '../../engine/kernels/dispatch.ts';
import { recordStridedCopy } from '../../engine/kernels/copy.ts';
import { recordUnary } from '../../engine/kernels/elementwise.ts';
import { recordMatmul } from '../../engine/kernels/matmul.ts';
import { broadcastOffsets } from '../../onnx/ops/broadcast.ts';
import { gemmPlan, matmulPlan } from '../../onnx/ops/linalg.ts';
import type { RefTensor } from '../../onnx/ops/types.ts';
import { recordBinaryGrad, recordMatmulTN } from '../kernels.ts';
import { type BackwardRecording, type BackwardRule, gradOrZero, refOf, type ReferenceBackward } from '../rule.ts';
import { broadcastBackward, broadcastReducePlan } from './broadcast.ts';

/**
 * Backward of matrix products. For Y = A·B: dA = g·Bᵀ and dB = Aᵀ·g, per batch, summed over the
 * batch axes an operand was broadcast along. The GPU uses the engine's product for dA (B read
 * transposed) and shaders/grad_matmul_tn.wgsl for dB.
 */

/** C (+)= op(A)·op(B) in float64, A M x K and B K x N after the optional transposes. */
export function gemmInto(c: Float64Array, cAt: number, a: ArrayLike<number>, aAt: number, b: ArrayLike<number>, bAt: number, M: number, K: number, N: number, t: { a?: boolean; b?: boolean } = {}): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += a[aAt + (t.a ? p * M + i : i * K + p)] * b[bAt + (t.b ? j * K + p : p * N + j)];
      c[cAt + i * N + j] += s;
    }
  }
}

function matmulReference(a: ReferenceBackward): (RefTensor | undefined)[] {
  const [x, w] = [a.inputs[0]!, a.inputs[1]!];
  if (x.dims.length < 2 || w.dims.length < 2) throw new Error(`MatMul at node "${a.node.name}": no backward pass for 1-D operands`);
  const { batch, m, k, n, aBatch, bBatch } = matmulPlan(x, w, a);
  const g = gradOrZero(a.grads[0], [...batch, m, n]);
  const aOff = broadcastOffsets(aBatch, batch);
  const bOff = broadcastOffsets(bBatch, batch);
  const dA = a.wants[0] ? new Float64Array(x.data.length) : null;
  const dB = a.wants[1] ? new Float64Array(w.data.length) : null;
  for (let z = 0; z < aOff.length; z++) {
    if (dA) gemmInto(dA, aOff[z] * m * k, g.data, z * m * n, w.data, bOff[z] * k * n, m, n, k, { b: true });
    if (dB) gemmInto(dB, bOff[z] * k * n, x.data, aOff[z] * m * k, g.data, z * m * n, k, m, n, { a: true });
  }
  return [dA && refOf(x.dims, dA), dB && refOf(w.dims, dB)].map((t) => t ?? undefined);
}

/** A gradient computed over the full batch into scratch, then summed down to the operand's broadcast batch. */
function reducedTo(r: BackwardRecording, full: GpuTensor, i: number): void {
  recordBinaryGrad(r.ctx, r.cmd, 'Ident', null, full, r.newGrad(i));
}

function matmulGpu(r: BackwardRecording): void {
  const g = r.grad(0);
  if (!g) return;
  const [aDims, bDims] = r.dims.inputs;
  if (aDims.length < 2 || bDims.length < 2) throw r.unsupported('1-D operands');
  const shapes = [{ dtype: 'float32' as const, dims: aDims }, { dtype: 'float32' as const, dims: bDims }];
  const { batch: batchDims, m, k, n, aBatch, bBatch } = matmulPlan(shapes[0], shapes[1], r.op);
  const batch = elementCount(batchDims);
  const [aCount, bCount] = [elementCount(aBatch), elementCount(bBatch)];
  if ((aCount !== batch && aCount !== 1) || (bCount !== batch && bCount !== 1)) throw r.unsupported('operands broadcast over some batch axes only');
  if (r.wants[0]) {
    // dA[z] = g[z]·B[z]ᵀ; a shared B folds the batch into rows.
    const b = r.input(1);
    const full = aCount === batch ? r.newGrad(0) : r.temp([...batchDims, m, k]);
    if (bCount === 1) recordMatmul(r.ctx, r.cmd, g.buffer, b.buffer, full.buffer, { M: batch * m, K: n, N: k, transB: true });
    else recordMatmul(r.ctx, r.cmd, g.buffer, b.buffer, full.buffer, { M: m, K: n, N: k, transB: true, batch });
    if (aCount !== batch) reducedTo(r, full, 0);
  }
  if (r.wants[1]) {
    // dB[z] = A[z]ᵀ·g[z]; a shared B sums over every row of every batch.
    const a = r.input(0);
    if (bCount === 1 && aCount === batch) recordMatmulTN(r.ctx, r.cmd, a, g, r.newGrad(1), { R: batch * m, K: k, N: n, batch: 1 });
    else {
      const full = bCount === batch ? r.newGrad(1) : r.temp([...batchDims, k, n]);
      recordMatmulTN(r.ctx, r.cmd, a, g, full, { R: m, K: k, N: n, batch, shareA: aCount === 1 });
      if (bCount !== batch) reducedTo(r, full, 1);
    }
  }
}

function gemmReference(a: ReferenceBackward): (RefTensor | undefined)[] {
  const { m, k, n, transA, transB, alpha, beta } = gemmPlan(a.inputs, a);
  const [x, w, c] = [a.inputs[0]!, a.inputs[1]!, a.inputs[2]];
  const g = gradOrZero(a.grads[0], [m, n]);
  const scaled = (data: Float64Array, s: number) => data.map((v) => v * s);
  const out: (RefTensor | undefined)[] = [];
  if (a.wants[0]) {
    // d op(A) = g·op(B)ᵀ, laid out back as A is stored.
    const d = new Float64Array(m * k);
    gemmInto(d, 0, g.data, 0, w.data, 0, m, n, k, { b: !transB });
    out[0] = refOf(x.dims, scaled(transA ? transposed(d, m, k) : d, alpha));
  }
  if (a.wants[1]) {
    const d = new Float64Array(k * n);
    gemmInto(d, 0, x.data, 0, g.data, 0, k, m, n, { a: !transA });
    out[1] = refOf(w.dims, scaled(transB ? transposed(d, k, n) : d, alpha));
  }
  if (a.wants[2] && c) {
    const data = broadcastBackward(broadcastReducePlan(c.dims, [m, n]), { aStrides: [], bStrides: [] }, (o) => beta * g.data[o]);
    out[2] = refOf(c.dims, data);
  }
  return out;
}

function transposed(d: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(d.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = d[i * cols + j];
  return out;
}

/** x · alpha into `out` through scratch when alpha ≠ 1 (a kernel never reads and writes one buffer). */
function withScale(r: BackwardRecording, alpha: number, out: GpuTensor, record: (target: GpuTensor) => void): void {
  if (alpha === 1) return record(out);
  const t = r.temp(out.dims);
  record(t);
  recordUnary(r.ctx, r.cmd, 'Affine', t, out, alpha, 0);
}

/** t (rows x cols) transposed into a scratch tensor, or into `out`. */
function transposedCopy(r: BackwardRecording, t: GpuTensor, rows: number, cols: number, out: GpuTensor = r.temp([cols, rows])): GpuTensor {
  recordStridedCopy(r.ctx, r.cmd, { dims: [cols, rows], src: t.buffer, srcOffset: 0, srcStrides: [1, cols], dst: out.buffer, dstOffset: 0, dstStrides: [rows, 1] });
  return out;
}

function gemmGpu(r: BackwardRecording): void {
  const g = r.grad(0);
  if (!g) return;
  const shapes = r.dims.inputs.map((dims) => (dims ? { dtype: 'float32' as const, dims } : undefined));
  const { m, k, n, transA, transB, alpha, beta } = gemmPlan(shapes, r.op);
  if (r.wants[0]) {
    // d op(A) = g·op(B)ᵀ (m x k), stored back transposed when A is.
    const b = r.input(1);
    const dA = r.newGrad(0);
    const target = transA ? r.temp([m, k]) : dA;
    withScale(r, alpha, target, (t) => recordMatmul(r.ctx, r.cmd, g.buffer, b.buffer, t.buffer, { M: m, K: n, N: k, transB: !transB }));
    if (transA) transposedCopy(r, target, m, k, dA);
  }
  if (r.wants[1]) {
    // dB = op(A)ᵀg (k x n), or gᵀop(A) (n x k) when B is stored transposed.
    const a = transA ? transposedCopy(r, r.input(0), k, m) : r.input(0);
    withScale(r, alpha, r.newGrad(1), (t) => (transB
      ? recordMatmulTN(r.ctx, r.cmd, g, a, t, { R: m, K: n, N: k, batch: 1 })
      : recordMatmulTN(r.ctx, r.cmd, a, g, t, { R: m, K: k, N: n, batch: 1 })));
  }
  if (r.wants[2]) {
    withScale(r, beta, r.newGrad(2), (t) => recordBinaryGrad(r.ctx, r.cmd, 'Ident', null, g, t));
  }
}

export const linalgRules: Record<string, BackwardRule> = {
  MatMul: { saves: () => ({ inputs: [0, 1], outputs: [] }), reference: matmulReference, gpu: matmulGpu },
  Gemm: { saves: () => ({ inputs: [0, 1], outputs: [] }), reference: gemmReference, gpu: gemmGpu },
};
