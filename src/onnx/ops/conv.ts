import { allowAttrs, attrInt, attrInts, attrString, unsupported } from './attrs.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { hasInput, need, nodeError } from './util.ts';

/** 2-D convolution geometry; a 1-D conv is run as 2-D with a unit height. */
export interface ConvPlan {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  group: number;
  strides: [number, number];
  dilations: [number, number];
  /** [top, left] padding; bottom/right only affect the output size. */
  padBegin: [number, number];
  /** Output dims in the input's rank. */
  dims: number[];
}

export function convPlan(x: ValueShape, w: ValueShape, ctx: OpContext): ConvPlan {
  allowAttrs(ctx, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const spatial = x.dims.length - 2;
  if (spatial !== 1 && spatial !== 2) throw unsupported(ctx, `${spatial}-D convolution (only 1-D and 2-D)`);
  if (w.dims.length !== x.dims.length) throw nodeError(ctx, `weight rank ${w.dims.length} differs from input rank ${x.dims.length}`);
  const group = attrInt(ctx, 'group', 1);
  const [batch, inC] = x.dims;
  const [outC, cPerGroup] = w.dims;
  if (group < 1 || inC % group !== 0 || outC % group !== 0 || cPerGroup * group !== inC) {
    throw nodeError(ctx, `weight [${w.dims.join(', ')}] and group ${group} do not fit ${inC} input channels`);
  }
  const kernel = w.dims.slice(2);
  if (kernel.some((k) => k < 1)) throw nodeError(ctx, `weight [${w.dims.join(', ')}] has an empty kernel`);
  const declared = attrInts(ctx, 'kernel_shape');
  if (declared && declared.some((k, i) => k !== kernel[i])) throw nodeError(ctx, `kernel_shape [${declared.join(', ')}] differs from the weight`);
  const strides = attrInts(ctx, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(ctx, 'dilations') ?? kernel.map(() => 1);
  if (![...strides, ...dilations].every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw nodeError(ctx, `strides [${strides.join(', ')}] and dilations [${dilations.join(', ')}] must be at least 1`);
  }
  const inSpatial = x.dims.slice(2);
  const autoPad = attrString(ctx, 'auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'NOTSET') {
    pads = attrInts(ctx, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  } else if (autoPad === 'VALID') {
    pads = new Array<number>(2 * spatial).fill(0);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    inSpatial.forEach((n, i) => {
      const out = Math.ceil(n / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - n);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(autoPad === 'SAME_UPPER' ? total - small : small);
    });
    pads = [...begin, ...end];
  } else {
    throw unsupported(ctx, `auto_pad="${autoPad}"`);
  }
  if (strides.length !== spatial || dilations.length !== spatial || pads.length !== 2 * spatial) {
    throw nodeError(ctx, 'strides, dilations or pads do not match the spatial rank');
  }
  if (!pads.every((v) => Number.isSafeInteger(v) && v >= 0)) throw nodeError(ctx, `pads [${pads.join(', ')}] must not be negative`);
  const outSpatial = inSpatial.map((n, i) => {
    const span = (kernel[i] - 1) * dilations[i] + 1;
    return Math.floor((n + pads[i] + pads[i + spatial] - span) / strides[i]) + 1;
  });
  if (outSpatial.some((d) => d < 1)) throw nodeError(ctx, `input [${x.dims.join(', ')}] is smaller than the kernel`);
  const two = <T>(v: T[], fill: T): [T, T] => (spatial === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const [inH, inW] = two(inSpatial, 1);
  const [outH, outW] = two(outSpatial, 1);
  const [kH, kW] = two(kernel, 1);
  return {
    batch, inC, inH, inW, outC, outH, outW, kH, kW, group,
    strides: two(strides, 1),
    dilations: two(dilations, 1),
    padBegin: two(pads.slice(0, spatial), 0),
    dims: [batch, outC, ...outSpatial],
  };
}

const conv: OpDefinition = {
  infer(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const w = need(inputs, 1, ctx);
    const plan = convPlan(x, w, ctx);
    const b = hasInput(ctx, 2) ? need(inputs, 2, ctx) : undefined;
    if (b && (b.dims.length !== 1 || b.dims[0] !== plan.outC)) throw nodeError(ctx, `bias [${b.dims.join(', ')}] must have ${plan.outC} values`);
    return [{ dtype: x.dtype, dims: plan.dims }];
  },
  evaluate(inputs, ctx) {
    conv.infer(inputs, ctx, []);
    const x = need(inputs, 0, ctx);
    const w = need(inputs, 1, ctx);
    const bias: RefTensor | undefined = hasInput(ctx, 2) ? inputs[2] : undefined;
    const p = convPlan(x, w, ctx);
    const cPerGroup = p.inC / p.group;
    const mPerGroup = p.outC / p.group;
    const out = new Float64Array(p.batch * p.outC * p.outH * p.outW);
    for (let n = 0; n < p.batch; n++) {
      for (let m = 0; m < p.outC; m++) {
        const g = Math.floor(m / mPerGroup);
        for (let oy = 0; oy < p.outH; oy++) {
          for (let ox = 0; ox < p.outW; ox++) {
            let s = bias ? bias.data[m] : 0;
            for (let c = 0; c < cPerGroup; c++) {
              const xPlane = (n * p.inC + g * cPerGroup + c) * p.inH;
              const wPlane = (m * cPerGroup + c) * p.kH;
              for (let ky = 0; ky < p.kH; ky++) {
                const iy = oy * p.strides[0] - p.padBegin[0] + ky * p.dilations[0];
                if (iy < 0 || iy >= p.inH) continue;
                const xRow = (xPlane + iy) * p.inW;
                const wRow = (wPlane + ky) * p.kW;
                for (let kx = 0; kx < p.kW; kx++) {
                  const ix = ox * p.strides[1] - p.padBegin[1] + kx * p.dilations[1];
                  if (ix < 0 || ix >= p.inW) continue;
                  s += x.data[xRow + ix] * w.data[wRow + kx];
                }
              }
            }
            out[((n * p.outC + m) * p.outH + oy) * p.outW + ox] = s;
          }
        }
      }
    }
    return [{ dtype: x.dtype, dims: p.dims, data: out }];
  },
};

export const convOps: OpRegistry = {
  Conv: conv,
};
