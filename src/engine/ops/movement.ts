import { attrInt, attrInts } from '../../onnx/ops/attrs.ts';
import { slicePlan } from '../../onnx/ops/movement.ts';
import { normalizeAxis } from '../../onnx/ops/util.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { recordStridedCopy } from '../kernels/copy.ts';
import { broadcastStrides, elementCount, offsetOf, stridesOf } from '../kernels/dispatch.ts';
import { recordGather } from '../kernels/gather.ts';
import type { OpRecording } from './context.ts';

type Impl = (r: OpRecording) => void;

/** Copy `src` into `dst` whole (same element count and layout). */
export function recordCopy(r: OpRecording, src: GpuTensor, dst: GpuTensor): void {
  const n = elementCount(dst.dims);
  recordStridedCopy(r.ctx, r.batch, {
    dims: [n], src: src.buffer, srcOffset: offsetOf(src), srcStrides: [1],
    dst: dst.buffer, dstOffset: offsetOf(dst), dstStrides: [1],
  });
}

/** out = transpose(x, perm): out index i reads x at Σ i_d · stride_x[perm[d]]. */
export function recordTranspose(r: OpRecording, x: GpuTensor, perm: number[], out: GpuTensor): void {
  const xs = stridesOf(x.dims);
  recordStridedCopy(r.ctx, r.batch, {
    dims: out.dims, src: x.buffer, srcOffset: offsetOf(x), srcStrides: perm.map((p) => xs[p]),
    dst: out.buffer, dstOffset: offsetOf(out), dstStrides: stridesOf(out.dims),
  });
}

const transpose: Impl = (r) => {
  const x = r.input(0);
  const perm = attrInts(r.op, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  recordTranspose(r, x, perm, r.outputs[0]);
};

const concat: Impl = (r) => {
  const out = r.outputs[0];
  const axis = normalizeAxis(attrInt(r.op, 'axis', 0), out.dims.length, r.op);
  const outStrides = stridesOf(out.dims);
  let at = 0;
  r.inputs.forEach((x) => {
    if (!x || elementCount(x.dims) === 0) return;
    recordStridedCopy(r.ctx, r.batch, {
      dims: x.dims, src: x.buffer, srcOffset: offsetOf(x), srcStrides: stridesOf(x.dims),
      dst: out.buffer, dstOffset: offsetOf(out) + at * outStrides[axis], dstStrides: outStrides,
    });
    at += x.dims[axis];
  });
};

const split: Impl = (r) => {
  const x = r.input(0);
  const axis = normalizeAxis(attrInt(r.op, 'axis', 0), x.dims.length, r.op);
  const xs = stridesOf(x.dims);
  let at = 0;
  for (const out of r.outputs) {
    recordStridedCopy(r.ctx, r.batch, {
      dims: out.dims, src: x.buffer, srcOffset: offsetOf(x) + at * xs[axis], srcStrides: xs,
      dst: out.buffer, dstOffset: offsetOf(out), dstStrides: stridesOf(out.dims),
    });
    at += out.dims[axis];
  }
};

const slice: Impl = (r) => {
  const x = r.input(0);
  const plan = slicePlan([{ dtype: 'float32', dims: x.dims }], r.op, r.constants);
  const xs = stridesOf(x.dims);
  const out = r.outputs[0];
  recordStridedCopy(r.ctx, r.batch, {
    dims: out.dims,
    src: x.buffer,
    srcOffset: offsetOf(x) + plan.reduce((s, p, d) => s + p.start * xs[d], 0),
    srcStrides: plan.map((p, d) => p.step * xs[d]),
    dst: out.buffer, dstOffset: offsetOf(out), dstStrides: stridesOf(out.dims),
  });
};

const expand: Impl = (r) => {
  const x = r.input(0);
  const out = r.outputs[0];
  recordStridedCopy(r.ctx, r.batch, {
    dims: out.dims, src: x.buffer, srcOffset: offsetOf(x), srcStrides: broadcastStrides(x.dims, out.dims),
    dst: out.buffer, dstOffset: offsetOf(out), dstStrides: stridesOf(out.dims),
  });
};

const gather: Impl = (r) => {
  const data = r.input(0);
  const indices = r.constants[1];
  const axis = normalizeAxis(attrInt(r.op, 'axis', 0), data.dims.length, r.op);
  const outer = elementCount(data.dims.slice(0, axis));
  const inner = elementCount(data.dims.slice(axis + 1));
  const out = r.outputs[0];
  if (indices && indices.data.length === 1) {
    // A single index is a strided copy of one slice.
    const k = indices.data[0] < 0 ? indices.data[0] + data.dims[axis] : indices.data[0];
    if (!(k >= 0 && k < data.dims[axis])) throw r.unsupported(`index ${indices.data[0]} is outside axis ${axis} of size ${data.dims[axis]}`);
    recordStridedCopy(r.ctx, r.batch, {
      dims: [outer, inner], src: data.buffer, srcOffset: offsetOf(data) + k * inner, srcStrides: [data.dims[axis] * inner, 1],
      dst: out.buffer, dstOffset: offsetOf(out), dstStrides: [inner, 1],
    });
    return;
  }
  // An index table (constant, e.g. Swin's relative position index, or computed at run time).
  const table = r.input(1);
  if (table.dtype !== 'i32' || offsetOf(table) !== 0 || offsetOf(out) !== 0) throw r.unsupported('indices must be an integer tensor of its own');
  recordGather(r.ctx, r.batch, data.buffer, offsetOf(data), table.buffer, out.buffer, {
    outer, axisLen: data.dims[axis], inner, indexCount: elementCount(table.dims),
  });
};

export const movementImpls: Record<string, Impl> = {
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Expand: expand,
  Gather: gather,
};

/** A materialised broadcast of `x` to `dims`, in a scratch buffer. */
export function expandTo(r: OpRecording, x: GpuTensor, dims: number[]): GpuTensor {
  const out = r.temp(dims, x.dtype);
  recordStridedCopy(r.ctx, r.batch, {
    dims, src: x.buffer, srcOffset: offsetOf(x), srcStrides: broadcastStrides(x.dims, dims),
    dst: out.buffer, dstOffset: 0, dstStrides: stridesOf(dims),
  });
  return out;
}
