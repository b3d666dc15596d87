import { allowAttrs, attrInt, attrString, unsupported } from './attrs.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { constInts, hasInput, need, nodeError, sizeOf } from './util.ts';

interface ResizePlan {
  dims: number[];
  scales: number[];
  mode: 'nearest' | 'linear';
  coord: string;
  nearest: string;
}

const coordModes = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'half_pixel_symmetric'];
const nearestModes = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function resizePlan(inputs: readonly (ValueShape | undefined)[], ctx: OpContext, constants: readonly (RefTensor | undefined)[]): ResizePlan {
  if (ctx.opset < 11) throw unsupported(ctx, `opset ${ctx.opset} Resize (only 11 and later)`);
  allowAttrs(ctx, [
    'mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside',
    'extrapolation_value', 'antialias', 'keep_aspect_ratio_policy',
  ]);
  const x = need(inputs, 0, ctx);
  const mode = attrString(ctx, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') throw unsupported(ctx, `mode="${mode}"`);
  const coord = attrString(ctx, 'coordinate_transformation_mode', 'half_pixel');
  if (!coordModes.includes(coord)) throw unsupported(ctx, `coordinate_transformation_mode="${coord}"`);
  const nearest = attrString(ctx, 'nearest_mode', 'round_prefer_floor');
  if (!nearestModes.includes(nearest)) throw unsupported(ctx, `nearest_mode="${nearest}"`);
  if (attrInt(ctx, 'antialias', 0) !== 0) throw unsupported(ctx, 'antialias=1');
  if (attrInt(ctx, 'exclude_outside', 0) !== 0) throw unsupported(ctx, 'exclude_outside=1');
  if (attrString(ctx, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw unsupported(ctx, 'keep_aspect_ratio_policy other than stretch');
  const rank = x.dims.length;
  const scalesGiven = hasInput(ctx, 2) && (inputs[2]?.dims ? sizeOf(inputs[2].dims) > 0 : true);
  const sizesGiven = hasInput(ctx, 3);
  if (scalesGiven === sizesGiven) throw nodeError(ctx, 'exactly one of scales and sizes must be given');
  if (sizesGiven) {
    const sizes = constInts(constants, 3);
    if (!sizes) throw unsupported(ctx, 'sizes must be known at plan time');
    if (sizes.length !== rank) throw nodeError(ctx, `${sizes.length} sizes for rank ${rank}`);
    return { dims: sizes, scales: sizes.map((s, i) => s / x.dims[i]), mode, coord, nearest };
  }
  const scales = constInts(constants, 2);
  if (!scales) throw unsupported(ctx, 'scales must be known at plan time');
  if (scales.length !== rank) throw nodeError(ctx, `${scales.length} scales for rank ${rank}`);
  return { dims: x.dims.map((d, i) => Math.floor(d * scales[i])), scales, mode, coord, nearest };
}

function sourceCoordinate(o: number, scale: number, inSize: number, outSize: number, coord: string): number {
  switch (coord) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case 'half_pixel_symmetric': {
      const adjustment = outSize / (scale * inSize);
      const offset = (inSize / 2) * (1 - adjustment);
      return offset + (o + 0.5) / scale - 0.5;
    }
    default:
      return o / scale;
  }
}

function roundNearest(v: number, mode: string): number {
  switch (mode) {
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    case 'round_prefer_ceil':
      return Math.round(v);
    default:
      return v % 1 === 0.5 || v % 1 === -0.5 ? Math.floor(v) : Math.round(v);
  }
}

/** Resizes one axis; linear and nearest interpolation are separable, so axes go one at a time. */
function resizeAxis(data: Float64Array, dims: number[], axis: number, outSize: number, scale: number, plan: ResizePlan): Float64Array {
  const inSize = dims[axis];
  const outer = sizeOf(dims.slice(0, axis));
  const inner = sizeOf(dims.slice(axis + 1));
  const out = new Float64Array(outer * outSize * inner);
  for (let o = 0; o < outSize; o++) {
    const src = sourceCoordinate(o, scale, inSize, outSize, plan.coord);
    let i0: number, i1: number, w: number;
    if (plan.mode === 'nearest') {
      i0 = i1 = Math.min(Math.max(roundNearest(src, plan.nearest), 0), inSize - 1);
      w = 0;
    } else {
      const c = Math.min(Math.max(src, 0), inSize - 1);
      i0 = Math.floor(c);
      i1 = Math.min(i0 + 1, inSize - 1);
      w = c - i0;
    }
    for (let b = 0; b < outer; b++) {
      const base0 = (b * inSize + i0) * inner;
      const base1 = (b * inSize + i1) * inner;
      const dst = (b * outSize + o) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = data[base0 + i] * (1 - w) + (w === 0 ? 0 : data[base1 + i] * w);
    }
  }
  return out;
}

const resize: OpDefinition = {
  infer(inputs, ctx, constants) {
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: resizePlan(inputs, ctx, constants).dims }];
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const plan = resizePlan(inputs, ctx, inputs);
    let data = x.data;
    const dims = [...x.dims];
    for (let axis = 0; axis < dims.length; axis++) {
      if (plan.dims[axis] === dims[axis] && plan.scales[axis] === 1) continue;
      data = resizeAxis(data, dims, axis, plan.dims[axis], plan.scales[axis], plan);
      dims[axis] = plan.dims[axis];
    }
    return [{ dtype: x.dtype, dims, data }];
  },
};

export const resizeOps: OpRegistry = { Resize: resize };
