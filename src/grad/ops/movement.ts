import type { GpuTensor } from '../../engine/gpu-tensor.ts';
import { recordStridedCopy } from '../../engine/kernels/copy.ts';
import { elementCount, stridesOf } from '../../engine/kernels/dispatch.ts';
import { recordIndexMap } from '../../engine/kernels/index-map.ts';
import { attrInt, attrInts } from '../../onnx/ops/attrs.ts';
import { padPlan, slicePlan } from '../../onnx/ops/movement.ts';
import type { RefTensor } from '../../onnx/ops/types.ts';
import { normalizeAxis, stridedCopy } from '../../onnx/ops/util.ts';
import { recordBinaryGrad, recordGatherGrad } from '../kernels.ts';
import { type BackwardRecording, type BackwardRule, gradOrZero, noSaves, refOf, type ReferenceBackward } from '../rule.ts';
import { broadcastBackward, broadcastReducePlan } from './broadcast.ts';
import { identityRule } from './elementwise.ts';

/**
 * Backward passes of the shape and movement ops. Each forward op reads x at strided positions, so
 * its backward writes the gradient back to those positions: views pass it through, Transpose
 * permutes it back, Slice/Split/Gather scatter it into a zero gradient, Concat slices it, Expand
 * sums it over the stretched axes, Pad crops it. The strided walks are the forward's own plans
 * (slicePlan, padPlan) on both the float64 and GPU side.
 */

/** A strided write of a contiguous `src` (dims) into `target` at base + Σ i_d · strides_d: the float64 twin of a strided copy into a gradient. */
function scatterInto(target: Float64Array, src: ArrayLike<number>, dims: readonly number[], strides: readonly number[], base: number): void {
  const s = stridesOf(dims);
  for (let i = 0; i < src.length; i++) {
    let at = base;
    for (let d = 0; d < dims.length; d++) at += (Math.floor(i / s[d]) % dims[d]) * strides[d];
    target[at] = src[i];
  }
}

function copyInto(r: BackwardRecording, src: GpuTensor, dims: number[], dst: GpuTensor, dstOffset: number, dstStrides: number[], srcOffset = 0, srcStrides = stridesOf(dims)): void {
  recordStridedCopy(r.ctx, r.cmd, { dims, src: src.buffer, srcOffset, srcStrides, dst: dst.buffer, dstOffset, dstStrides });
}

const permOf = (node: ReferenceBackward['node'], rank: number) =>
  attrInts({ node, opset: 0 }, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);

/** g's stride for each axis of x: y axis d is x axis perm[d]. */
function transposeBackStrides(perm: number[], gDims: readonly number[]): number[] {
  const gs = stridesOf(gDims);
  const out = new Array<number>(perm.length);
  perm.forEach((p, d) => (out[p] = gs[d]));
  return out;
}

const transpose: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const g = gradOrZero(a.grads[0], a.outputs[0]!.dims);
    return [refOf(x.dims, stridedCopy(g.data, x.dims, transposeBackStrides(permOf(a.node, x.dims.length), g.dims)))];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const xDims = r.dims.inputs[0];
    const dx = r.newGrad(0);
    copyInto(r, g, xDims, dx, 0, stridesOf(xDims), 0, transposeBackStrides(permOf(r.node, xDims.length), g.dims));
  },
};

/** Where Slice's output element i sits in x: base + Σ i_d · strides_d. */
function sliceWalk(xDims: number[], op: { node: ReferenceBackward['node']; opset: number }, constants: (RefTensor | undefined)[]) {
  const plan = slicePlan([{ dtype: 'float32', dims: xDims }], op, constants);
  const xs = stridesOf(xDims);
  return {
    dims: plan.map((p) => p.count),
    base: plan.reduce((s, p, d) => s + (p.count > 0 ? p.start * xs[d] : 0), 0),
    strides: plan.map((p, d) => p.step * xs[d]),
  };
}

const slice: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const walk = sliceWalk(x.dims, a, a.inputs);
    const dx = new Float64Array(x.data.length);
    scatterInto(dx, gradOrZero(a.grads[0], walk.dims).data, walk.dims, walk.strides, walk.base);
    return [refOf(x.dims, dx)];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const walk = sliceWalk(r.dims.inputs[0], r.op, r.constants);
    copyInto(r, g, walk.dims, r.newGrad(0, true), walk.base, walk.strides);
  },
};

const axisOf = (a: { node: ReferenceBackward['node']; opset: number }, rank: number) => normalizeAxis(attrInt(a, 'axis', 0), rank, a);

const split: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const axis = axisOf(a, x.dims.length);
    const xs = stridesOf(x.dims);
    const dx = new Float64Array(x.data.length);
    let at = 0;
    a.outputs.forEach((y, j) => {
      if (!y) return;
      const g = a.grads[j];
      if (g) scatterInto(dx, g.data, y.dims, xs, at * xs[axis]);
      at += y.dims[axis];
    });
    return [refOf(x.dims, dx)];
  },
  gpu(r) {
    if (!r.wants[0]) return;
    const xDims = r.dims.inputs[0];
    const axis = axisOf(r.op, xDims.length);
    const xs = stridesOf(xDims);
    const missing = r.dims.outputs.some((_, j) => !r.grad(j));
    const dx = r.newGrad(0, missing);
    let at = 0;
    r.dims.outputs.forEach((dims, j) => {
      const g = r.grad(j);
      if (g) copyInto(r, g, dims, dx, at * xs[axis], xs);
      at += dims[axis];
    });
  },
};

const concat: BackwardRule = {
  saves: noSaves,
  reference(a) {
    const out = a.outputs[0]!;
    const g = gradOrZero(a.grads[0], out.dims);
    const axis = axisOf(a, out.dims.length);
    const gs = stridesOf(out.dims);
    let at = 0;
    return a.inputs.map((x, i) => {
      if (!x) return undefined;
      const start = at;
      at += x.dims[axis];
      return a.wants[i] ? refOf(x.dims, stridedCopy(g.data, x.dims, gs, start * gs[axis])) : undefined;
    });
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g) return;
    const axis = axisOf(r.op, g.dims.length);
    const gs = stridesOf(g.dims);
    let at = 0;
    r.dims.inputs.forEach((dims, i) => {
      if (!dims) return;
      if (r.wants[i] && elementCount(dims) > 0) copyInto(r, g, dims, r.newGrad(i), 0, stridesOf(dims), at * gs[axis], gs);
      at += dims[axis];
    });
  },
};

/** Gather's layout: data as [outer, axisLen, inner], indices non-negative. */
export function gatherLayout(node: ReferenceBackward['node'], dataDims: number[], indices: RefTensor) {
  const op = { node, opset: 0 };
  const axis = normalizeAxis(attrInt(op, 'axis', 0), dataDims.length, op);
  const axisLen = dataDims[axis];
  return {
    outer: elementCount(dataDims.slice(0, axis)), axisLen, inner: elementCount(dataDims.slice(axis + 1)),
    indices: Int32Array.from(indices.data, (k) => (k < 0 ? k + axisLen : k)),
  };
}

const gather: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (a.wants[1]) throw new Error(`Gather at node "${a.node.name}": indices have no gradient`);
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const { outer, axisLen, inner, indices } = gatherLayout(a.node, x.dims, a.inputs[1]!);
    const g = gradOrZero(a.grads[0], a.outputs[0]!.dims);
    const dx = new Float64Array(x.data.length);
    const count = indices.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < count; j++) {
        for (let n = 0; n < inner; n++) dx[(o * axisLen + indices[j]) * inner + n] += g.data[(o * count + j) * inner + n];
      }
    }
    return [refOf(x.dims, dx)];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const { outer, axisLen, inner, indices } = gatherLayout(r.node, r.dims.inputs[0], r.constant(1));
    if (indices.length === 1) {
      copyInto(r, g, [outer, inner], r.newGrad(0, true), indices[0] * inner, [axisLen * inner, 1]);
      return;
    }
    const table = r.extras.index;
    if (!table) throw r.unsupported('the index table was not uploaded');
    recordGatherGrad(r.ctx, r.cmd, table, g, r.newGrad(0), { axisLen, inner, indexCount: indices.length });
  },
};

const expand: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const g = gradOrZero(a.grads[0], a.outputs[0]!.dims);
    const data = broadcastBackward(broadcastReducePlan(x.dims, g.dims), { aStrides: [], bStrides: [] }, (o) => g.data[o]);
    return [refOf(x.dims, data)];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    recordBinaryGrad(r.ctx, r.cmd, 'Ident', null, g, r.newGrad(0));
  },
};

function padBegin(a: { node: ReferenceBackward['node']; opset: number }, xDims: number[], constants: (RefTensor | undefined)[]): number[] {
  const plan = padPlan([{ dtype: 'float32', dims: xDims }], a, constants);
  if (plan.mode !== 'constant') throw new Error(`Pad at node "${a.node.name}": no backward pass for mode "${plan.mode}" (only constant padding)`);
  return plan.begin;
}

const pad: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const begin = padBegin(a, x.dims, a.inputs);
    const g = gradOrZero(a.grads[0], a.outputs[0]!.dims);
    const gs = stridesOf(g.dims);
    const xs = stridesOf(x.dims);
    const dx = new Float64Array(x.data.length);
    for (let i = 0; i < dx.length; i++) {
      let at = 0;
      let inside = true;
      x.dims.forEach((d, k) => {
        const c = (Math.floor(i / xs[k]) % d) + begin[k];
        if (c < 0 || c >= g.dims[k]) inside = false;
        at += c * gs[k];
      });
      dx[i] = inside ? g.data[at] : 0;
    }
    return [refOf(x.dims, dx)];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const begin = padBegin(r.op, r.dims.inputs[0], r.constants);
    // dx[i] = g[i + begin]: the index map with the opposite offset, zero outside.
    recordIndexMap(r.ctx, r.cmd, g, r.newGrad(0), { mode: 'constant', begin: begin.map((b) => -b), value: 0 });
  },
};

export const movementRules: Record<string, BackwardRule> = {
  Reshape: identityRule,
  Flatten: identityRule,
  Squeeze: identityRule,
  Unsqueeze: identityRule,
  Transpose: transpose,
  Slice: slice,
  Split: split,
  Concat: concat,
  Gather: gather,
  Expand: expand,
  Pad: pad,
};
