import { allowAttrs, attrFloat, attrInt } from './attrs.ts';
import { broadcastOffsets, broadcastsTo } from './broadcast.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { hasInput, need, nodeError, normalizeAxis, sizeOf } from './util.ts';

/**
 * (outer, n, inner) for a softmax: before opset 13 the input is coerced to 2-D at `axis`
 * (default 1) and normalised over the whole flattened tail; from 13 over the single `axis`
 * (default -1).
 */
export function softmaxLayout(x: ValueShape, ctx: OpContext): { outer: number; n: number; inner: number } {
  allowAttrs(ctx, ['axis']);
  const rank = x.dims.length;
  if (ctx.opset < 13) {
    const raw = attrInt(ctx, 'axis', 1);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis < 0 || axis > rank) throw nodeError(ctx, `axis ${raw} is out of range for rank ${rank}`);
    return { outer: sizeOf(x.dims.slice(0, axis)), n: sizeOf(x.dims.slice(axis)), inner: 1 };
  }
  const axis = normalizeAxis(attrInt(ctx, 'axis', -1), rank, ctx);
  return { outer: sizeOf(x.dims.slice(0, axis)), n: x.dims[axis], inner: sizeOf(x.dims.slice(axis + 1)) };
}

function softmaxLike(log: boolean): OpDefinition {
  return {
    infer(inputs, ctx) {
      const x = need(inputs, 0, ctx);
      softmaxLayout(x, ctx);
      return [{ dtype: x.dtype, dims: [...x.dims] }];
    },
    evaluate(inputs, ctx) {
      const x = need(inputs, 0, ctx);
      const { outer, n, inner } = softmaxLayout(x, ctx);
      const out = new Float64Array(x.data.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (k: number) => (o * n + k) * inner + i;
          let max = -Infinity;
          for (let k = 0; k < n; k++) max = Math.max(max, x.data[at(k)]);
          let sum = 0;
          for (let k = 0; k < n; k++) sum += Math.exp(x.data[at(k)] - max);
          const logSum = Math.log(sum);
          for (let k = 0; k < n; k++) {
            const shifted = x.data[at(k)] - max;
            out[at(k)] = log ? shifted - logSum : Math.exp(shifted) / sum;
          }
        }
      }
      return [{ dtype: x.dtype, dims: [...x.dims], data: out }];
    },
  };
}

export function layerNormPlan(inputs: readonly (ValueShape | undefined)[], ctx: OpContext) {
  allowAttrs(ctx, ['axis', 'epsilon', 'stash_type']);
  const stash = attrInt(ctx, 'stash_type', 1);
  if (stash !== 1 && stash !== 11) throw nodeError(ctx, `stash_type ${stash} is not a float type`);
  const x = need(inputs, 0, ctx);
  const scale = need(inputs, 1, ctx);
  const axis = normalizeAxis(attrInt(ctx, 'axis', -1), x.dims.length, ctx);
  const bias = hasInput(ctx, 2) ? need(inputs, 2, ctx) : undefined;
  for (const p of [scale, bias]) {
    if (p && !broadcastsTo(p.dims, x.dims)) throw nodeError(ctx, `scale/bias [${p.dims.join(', ')}] do not broadcast to [${x.dims.join(', ')}]`);
  }
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  return { x, axis, epsilon: attrFloat(ctx, 'epsilon', 1e-5), statDims };
}

const layerNormalization: OpDefinition = {
  infer(inputs, ctx) {
    const { x, statDims } = layerNormPlan(inputs, ctx);
    const out: ValueShape[] = [{ dtype: x.dtype, dims: [...x.dims] }];
    // Mean and InvStdDev are in the stash type, float32 unless stash_type says double.
    const statType = attrInt(ctx, 'stash_type', 1) === 11 ? 'float64' : 'float32';
    for (let i = 1; i < Math.min(3, ctx.node.outputs.length); i++) out.push({ dtype: statType, dims: statDims });
    return out;
  },
  evaluate(inputs, ctx) {
    const [shape, ...stats] = layerNormalization.infer(inputs, ctx, []);
    const { axis, epsilon, statDims } = layerNormPlan(inputs, ctx);
    const x = inputs[0] as RefTensor;
    const scale = inputs[1] as RefTensor;
    const bias = hasInput(ctx, 2) ? inputs[2] : undefined;
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = sizeOf(x.dims.slice(axis));
    const so = broadcastOffsets(scale.dims, x.dims);
    const bo = bias ? broadcastOffsets(bias.dims, x.dims) : undefined;
    const y = new Float64Array(x.data.length);
    const means = new Float64Array(outer);
    const invStd = new Float64Array(outer);
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let mean = 0;
      for (let k = 0; k < n; k++) mean += x.data[base + k];
      mean /= n;
      let variance = 0;
      for (let k = 0; k < n; k++) variance += (x.data[base + k] - mean) ** 2;
      variance /= n;
      const inv = 1 / Math.sqrt(variance + epsilon);
      means[o] = mean;
      invStd[o] = inv;
      for (let k = 0; k < n; k++) {
        const i = base + k;
        y[i] = (x.data[i] - mean) * inv * scale.data[so[i]] + (bias && bo ? bias.data[bo[i]] : 0);
      }
    }
    const out: RefTensor[] = [{ ...shape, data: y }];
    if (stats.length > 0) out.push({ dtype: stats[0].dtype, dims: statDims, data: means });
    if (stats.length > 1) out.push({ dtype: stats[1].dtype, dims: statDims, data: invStd });
    return out;
  },
};

/** Inference-mode BatchNormalization (running statistics), which conv stems may carry. */
const batchNormalization: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['epsilon', 'momentum', 'training_mode', 'spatial']);
    if (attrInt(ctx, 'training_mode', 0) !== 0) throw nodeError(ctx, 'training_mode=1 is not supported');
    if (ctx.node.outputs.length > 1) throw nodeError(ctx, 'training outputs (running mean/var) are not supported');
    const x = need(inputs, 0, ctx);
    if (x.dims.length < 2) throw nodeError(ctx, 'input must have a channel axis');
    for (let i = 1; i < 5; i++) {
      if (need(inputs, i, ctx).dims.length !== 1 || need(inputs, i, ctx).dims[0] !== x.dims[1]) throw nodeError(ctx, `input ${i} must have one value per channel`);
    }
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    const [shape] = batchNormalization.infer(inputs, ctx, []);
    const [x, scale, bias, mean, variance] = inputs as RefTensor[];
    const eps = attrFloat(ctx, 'epsilon', 1e-5);
    const c = x.dims[1];
    const area = sizeOf(x.dims.slice(2));
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const ch = Math.floor(i / area) % c;
      out[i] = ((x.data[i] - mean.data[ch]) / Math.sqrt(variance.data[ch] + eps)) * scale.data[ch] + bias.data[ch];
    }
    return [{ ...shape, data: out }];
  },
};

export const normOps: OpRegistry = {
  Softmax: softmaxLike(false),
  LogSoftmax: softmaxLike(true),
  LayerNormalization: layerNormalization,
  BatchNormalization: batchNormalization,
};
