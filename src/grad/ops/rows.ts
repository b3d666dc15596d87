import { recordUnary } from '../../engine/kernels/elementwise.ts';
import { recordStridedCopy } from '../../engine/kernels/copy.ts';
import { elementCount, stridesOf } from '../../engine/kernels/dispatch.ts';
import type { GpuTensor } from '../../engine/gpu-tensor.ts';
import { layerNormPlan, softmaxLayout } from '../../onnx/ops/norm.ts';
import { reducePlan } from '../../onnx/ops/reduce.ts';
import type { RefTensor } from '../../onnx/ops/types.ts';
import { recordRowsGrad } from '../kernels.ts';
import { type BackwardRecording, type BackwardRule, gradOrZero, noSaves, refOf, type ReferenceBackward } from '../rule.ts';

/**
 * Backward passes of the row ops: Softmax (dx = y (g − Σ g y) over the softmax axis), LayerNormalization
 * (dx = r (ĝ − mean ĝ − x̂ mean(ĝ x̂)), ĝ = g γ, x̂ = (x − μ) r, r = 1/√(var + ε)), and the mean/sum
 * reductions (g spread back over the reduced axes). Only the input's gradient: γ, β and the axes are
 * constants. The formulas are shaders/grad_rows.wgsl's.
 */

/** A [outer, n, inner] layout walked row by row: element k of row (o, i) sits at (o n + k) inner + i. */
function eachRow(layout: { outer: number; n: number; inner: number }, fn: (at: (k: number) => number) => void): void {
  for (let o = 0; o < layout.outer; o++) {
    for (let i = 0; i < layout.inner; i++) fn((k) => (o * layout.n + k) * layout.inner + i);
  }
}

function softmaxReference(a: ReferenceBackward): (RefTensor | undefined)[] {
  if (!a.wants[0]) return [];
  const y = a.outputs[0]!;
  const g = gradOrZero(a.grads[0], y.dims);
  const layout = softmaxLayout(y, a);
  const dx = new Float64Array(y.data.length);
  eachRow(layout, (at) => {
    let dot = 0;
    for (let k = 0; k < layout.n; k++) dot += g.data[at(k)] * y.data[at(k)];
    for (let k = 0; k < layout.n; k++) dx[at(k)] = y.data[at(k)] * (g.data[at(k)] - dot);
  });
  return [refOf(y.dims, dx)];
}

/** t [outer, n, inner] → [outer, inner, n] (or back, with `back`), as a scratch copy. */
function swapInner(r: BackwardRecording, t: GpuTensor, layout: { outer: number; n: number; inner: number }, out: GpuTensor, back = false): void {
  const { outer, n, inner } = layout;
  const [dims, srcStrides] = back ? [[outer, n, inner], [n * inner, 1, n]] : [[outer, inner, n], [n * inner, 1, inner]];
  recordStridedCopy(r.ctx, r.cmd, {
    dims, src: t.buffer, srcOffset: t.offset ?? 0, srcStrides, dst: out.buffer, dstOffset: 0, dstStrides: stridesOf(dims),
  });
}

function softmaxGpu(r: BackwardRecording): void {
  const g = r.grad(0);
  if (!g || !r.wants[0]) return;
  const y = r.output(0);
  const layout = softmaxLayout({ dtype: 'float32', dims: y.dims }, r.op);
  const dx = r.newGrad(0);
  if (layout.inner === 1) {
    recordRowsGrad(r.ctx, r.cmd, { mode: 'softmax', v: y, g, dx, len: layout.n });
    return;
  }
  // The axis is not the last one: move it last, run the rows, move it back.
  const [ys, gs, ds] = [r.temp(y.dims), r.temp(y.dims), r.temp(y.dims)];
  swapInner(r, y, layout, ys);
  swapInner(r, g, layout, gs);
  recordRowsGrad(r.ctx, r.cmd, { mode: 'softmax', v: ys, g: gs, dx: ds, len: layout.n });
  swapInner(r, ds, layout, dx, true);
}

function layerNormReference(a: ReferenceBackward): (RefTensor | undefined)[] {
  if (a.wants[1] || a.wants[2]) throw new Error(`LayerNormalization at node "${a.node.name}": gradients of the scale and bias are not supported`);
  if (!a.wants[0]) return [];
  const { x, axis, epsilon } = layerNormPlan(a.inputs, a);
  const xt = a.inputs[0]!;
  const gamma = a.inputs[1]!;
  const len = elementCount(x.dims.slice(axis));
  if (gamma.data.length !== len) throw new Error(`LayerNormalization at node "${a.node.name}": backward needs a scale of ${len} values`);
  const g = gradOrZero(a.grads[0], x.dims);
  const dx = new Float64Array(xt.data.length);
  for (let base = 0; base < dx.length; base += len) {
    let mean = 0;
    for (let j = 0; j < len; j++) mean += xt.data[base + j];
    mean /= len;
    let variance = 0;
    for (let j = 0; j < len; j++) variance += (xt.data[base + j] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / len + epsilon);
    let meanG = 0;
    let meanGX = 0;
    for (let j = 0; j < len; j++) {
      const gh = g.data[base + j] * gamma.data[j];
      meanG += gh / len;
      meanGX += (gh * (xt.data[base + j] - mean) * inv) / len;
    }
    for (let j = 0; j < len; j++) {
      const xh = (xt.data[base + j] - mean) * inv;
      dx[base + j] = inv * (g.data[base + j] * gamma.data[j] - meanG - xh * meanGX);
    }
  }
  return [refOf(x.dims, dx)];
}

function layerNormGpu(r: BackwardRecording): void {
  if (r.wants[1] || r.wants[2]) throw r.unsupported('gradients of the scale and bias');
  const g = r.grad(0);
  if (!g || !r.wants[0]) return;
  const shapes = r.dims.inputs.map((dims) => (dims ? { dtype: 'float32' as const, dims } : undefined));
  const { axis, epsilon } = layerNormPlan(shapes, r.op);
  const len = elementCount(r.dims.inputs[0].slice(axis));
  const gamma = r.input(1);
  if (elementCount(gamma.dims) !== len) throw r.unsupported(`a scale of ${len} values`);
  recordRowsGrad(r.ctx, r.cmd, { mode: 'layerNorm', v: r.input(0), gamma, g, dx: r.newGrad(0), len, epsilon });
}

/** The reduced axes, whether it averages, and g's dims with the reduced axes kept as 1. */
function reduction(node: ReferenceBackward['node'], opset: number, xDims: number[], constants: (RefTensor | undefined)[]) {
  const op = { node, opset };
  if (node.opType === 'GlobalAveragePool') {
    const axes = xDims.map((_, i) => i).slice(2);
    return { axes, mean: true, keptDims: xDims.map((d, i) => (i < 2 ? d : 1)), noop: false };
  }
  const plan = reducePlan({ dtype: 'float32', dims: xDims }, op, constants);
  return { axes: plan.axes, mean: node.opType === 'ReduceMean', keptDims: xDims.map((d, i) => (plan.axes.includes(i) ? 1 : d)), noop: plan.noop };
}

const reduceRule: BackwardRule = {
  saves: noSaves,
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const { axes, mean, keptDims, noop } = reduction(a.node, a.opset, x.dims, a.inputs);
    const g = gradOrZero(a.grads[0], noop ? x.dims : a.outputs[0]!.dims);
    if (noop) return [refOf(x.dims, Float64Array.from(g.data))];
    const scale = mean ? 1 / elementCount(axes.map((d) => x.dims[d])) : 1;
    const keptStrides = stridesOf(keptDims).map((s, i) => (axes.includes(i) ? 0 : s));
    const xStrides = stridesOf(x.dims);
    const dx = new Float64Array(x.data.length);
    for (let i = 0; i < dx.length; i++) {
      let src = 0;
      x.dims.forEach((d, k) => (src += (Math.floor(i / xStrides[k]) % d) * keptStrides[k]));
      dx[i] = g.data[src] * scale;
    }
    return [refOf(x.dims, dx)];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const xDims = r.dims.inputs[0];
    const { axes, mean, keptDims, noop } = reduction(r.node, r.opset, xDims, r.constants);
    if (noop) {
      r.passThrough(0, 0);
      return;
    }
    const scale = mean ? 1 / elementCount(axes.map((d) => xDims[d])) : 1;
    recordUnary(r.ctx, r.cmd, 'Affine', { ...g, dims: keptDims }, r.newGrad(0), scale, 0);
  },
};

export const rowRules: Record<string, BackwardRule> = {
  Softmax: { saves: () => ({ inputs: [], outputs: [0] }), reference: softmaxReference, gpu: softmaxGpu },
  LayerNormalization: { saves: () => ({ inputs: [0, 1], outputs: [] }), reference: layerNormReference, gpu: layerNormGpu },
  ReduceMean: reduceRule,
  ReduceSum: reduceRule,
  GlobalAveragePool: reduceRule,
};
