import { attrFloat, attrInt, attrInts } from '../../onnx/ops/attrs.ts';
import { normalizeAxis } from '../../onnx/ops/util.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { elementCount, offsetOf } from '../kernels/dispatch.ts';
import { recordUnary } from '../kernels/elementwise.ts';
import { recordRows, type ROW_MODES } from '../kernels/rows.ts';
import type { OpRecording } from './context.ts';
import { recordTranspose } from './movement.ts';

type Impl = (r: OpRecording) => void;

/**
 * Run a row kernel over `axes` of x (any subset): when they are not already the trailing
 * axes, permute them to the end first.
 */
function overAxes(r: OpRecording, mode: keyof typeof ROW_MODES, x: GpuTensor, axes: number[], out: GpuTensor, extra: { gamma?: GpuTensor; beta?: GpuTensor; epsilon?: number } = {}): void {
  const rank = x.dims.length;
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  const trailing = sorted.every((a, i) => a === rank - sorted.length + i);
  const len = elementCount(sorted.map((a) => x.dims[a]));
  const rows = elementCount(x.dims) / Math.max(len, 1);
  const perm = [...x.dims.keys()].filter((d) => !sorted.includes(d)).concat(sorted);
  let src = x;
  if (!trailing) {
    src = r.temp(perm.map((p) => x.dims[p]));
    recordTranspose(r, x, perm, src);
  }
  const elementwiseOut = mode === 'softmax' || mode === 'layerNorm';
  const target = elementwiseOut && !trailing ? r.temp(src.dims) : out;
  if (offsetOf(target) !== 0) throw r.unsupported('writing into an offset view');
  recordRows(r.ctx, r.batch, {
    mode, x: src.buffer, offset: offsetOf(src), rows, len, out: target.buffer,
    gamma: extra.gamma?.buffer, beta: extra.beta?.buffer, epsilon: extra.epsilon,
  });
  if (target !== out) {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    recordTranspose(r, target, inverse, out);
  }
}

const softmax: Impl = (r) => {
  const x = r.input(0);
  const rank = x.dims.length;
  const axis = normalizeAxis(attrInt(r.op, 'axis', r.opset < 13 ? 1 : -1), rank, r.op);
  // Before opset 13, Softmax normalises over all dims from `axis` on (a flattened 2-D view).
  const axes = r.opset < 13 ? [...x.dims.keys()].filter((d) => d >= axis) : [axis];
  overAxes(r, 'softmax', x, axes, r.outputs[0]);
};

const layerNorm: Impl = (r) => {
  if (r.node.outputs.slice(1).some(Boolean)) throw r.unsupported('the Mean and InvStdDev outputs on the GPU');
  const x = r.input(0);
  const axis = normalizeAxis(attrInt(r.op, 'axis', -1), x.dims.length, r.op);
  const gamma = r.input(1);
  let beta = r.inputs[2];
  const epsilon = attrFloat(r.op, 'epsilon', 1e-5);
  const axes = [...x.dims.keys()].filter((d) => d >= axis);
  if (!beta) {
    // No bias (LayerNorm(bias=False)): the kernel's affine step then adds zeros, made as 0·gamma.
    beta = r.temp(gamma.dims);
    recordUnary(r.ctx, r.batch, 'Affine', gamma, beta, 0, 0);
  }
  overAxes(r, 'layerNorm', x, axes, r.outputs[0], { gamma, beta, epsilon });
};

function reduce(mode: 'mean' | 'sum' | 'max'): Impl {
  return (r) => {
    const x = r.input(0);
    const rank = x.dims.length;
    let axes: number[] | undefined;
    const axesAsInput = mode === 'sum' ? r.opset >= 13 : r.opset >= 18;
    if (axesAsInput) axes = r.inputs[1] ? Array.from(r.constant(1).data) : undefined;
    else axes = attrInts(r.op, 'axes');
    if (!axes || axes.length === 0) {
      if (attrInt(r.op, 'noop_with_empty_axes', 0)) throw r.unsupported('noop_with_empty_axes on the GPU');
      axes = [...x.dims.keys()];
    }
    overAxes(r, mode, x, axes.map((a) => normalizeAxis(a, rank, r.op)), r.outputs[0]);
  };
}

const globalAveragePool: Impl = (r) => {
  const x = r.input(0);
  overAxes(r, 'mean', x, [...x.dims.keys()].slice(2), r.outputs[0]);
};

export const rowImpls: Record<string, Impl> = {
  Softmax: softmax,
  LayerNormalization: layerNorm,
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
  ReduceMax: reduce('max'),
  GlobalAveragePool: globalAveragePool,
};
