import mathSource from '../../../shaders/math.wgsl?raw';
import kernelSource from '../../../shaders/elementwise.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { broadcastStrides, elementCount, linearGrid, offsetOf, UniformWriter } from './dispatch.ts';

/** Op codes shared with shaders/elementwise.wgsl. */
export const BINARY_OPS = { Add: 0, Sub: 1, Mul: 2, Div: 3, Pow: 4, Max: 5, Min: 6, Mod: 7 } as const;
export const UNARY_OPS = {
  Sqrt: 20, Erf: 21, Tanh: 22, Exp: 23, Log: 24, Neg: 25, Abs: 26, Reciprocal: 27, Relu: 28, Sigmoid: 29,
  Gelu: 30, GeluTanh: 31, Floor: 32, Ceil: 33, Round: 34, Sin: 35, Cos: 36, Clip: 37, Affine: 38, Copy: 39,
  Sign: 40, Softplus: 41, LeakyRelu: 42, HardSigmoid: 43, HardSwish: 44,
} as const;

const WG = 64;
const source = mathSource + kernelSource;

/** Whether `dims`, without leading 1s, are the trailing dims of `out`: then it repeats with period = its size. */
function isSuffix(dims: readonly number[], out: readonly number[]): boolean {
  let start = 0;
  while (start < dims.length && dims[start] === 1) start++;
  const core = dims.slice(start);
  const tail = out.slice(out.length - core.length);
  return core.length <= out.length && core.every((d, i) => d === tail[i]);
}

function record(ctx: GpuContext, batch: CommandBatch, op: number, a: GpuTensor, b: GpuTensor | null, out: GpuTensor, alpha = 0, beta = 0): void {
  const dims = out.dims;
  const count = elementCount(dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  const suffix = isSuffix(a.dims, dims) && (!b || isSuffix(b.dims, dims));
  const uniforms = new UniformWriter(144)
    .u32(count).u32(dims.length).u32(offsetOf(a)).u32(b ? offsetOf(b) : 0)
    .u32(offsetOf(out)).u32(grid.rowStride).f32(alpha).f32(beta)
    .u32(Math.max(1, elementCount(a.dims))).u32(b ? Math.max(1, elementCount(b.dims)) : 1).u32(0).u32(0)
    .u32x8(dims)
    .u32x8(broadcastStrides(a.dims, dims))
    .u32x8(b ? broadcastStrides(b.dims, dims) : []);
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { OP: op, WG, SUFFIX: suffix ? 1 : 0 }),
    uniforms: uniforms.bytes,
    buffers: [a.buffer, (b ?? a).buffer, out.buffer],
    workgroups: grid.workgroups,
    label: 'elementwise',
  });
}

export function recordBinary(ctx: GpuContext, batch: CommandBatch, op: keyof typeof BINARY_OPS, a: GpuTensor, b: GpuTensor, out: GpuTensor): void {
  record(ctx, batch, BINARY_OPS[op], a, b, out);
}

/** Unary op; `alpha`/`beta` are Clip's bounds, or the affine y = alpha·x + beta. */
export function recordUnary(ctx: GpuContext, batch: CommandBatch, op: keyof typeof UNARY_OPS, x: GpuTensor, out: GpuTensor, alpha = 0, beta = 0): void {
  record(ctx, batch, UNARY_OPS[op], x, null, out, alpha, beta);
}
