import mathSource from '../../shaders/math.wgsl?raw';
import fillSource from '../../shaders/grad_fill.wgsl?raw';
import accumulateSource from '../../shaders/grad_accumulate.wgsl?raw';
import unarySource from '../../shaders/grad_unary.wgsl?raw';
import binarySource from '../../shaders/grad_binary.wgsl?raw';
import rowsSource from '../../shaders/grad_rows.wgsl?raw';
import matmulSource from '../../shaders/grad_matmul_tn.wgsl?raw';
import gatherSource from '../../shaders/grad_gather.wgsl?raw';
import mseSource from '../../shaders/grad_mse.wgsl?raw';
import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from '../engine/kernels/dispatch.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import { broadcastReducePlan, operandStrides } from './ops/broadcast.ts';

/** The backward kernels (shaders/grad_*.wgsl); each record* adds one dispatch and reads nothing back. */

const WG = 64;
const UNARY = mathSource + unarySource;
const BINARY = mathSource + binarySource;

function unaligned(what: string, ...ts: GpuTensor[]): void {
  if (ts.some((t) => offsetOf(t) !== 0)) throw new RangeError(`${what}: an operand is an offset view`);
}

/** out = value everywhere. */
export function recordFill(ctx: GpuContext, cmd: CommandBatch, out: GpuTensor, value = 0): void {
  unaligned('fill', out);
  const count = elementCount(out.dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(fillSource, 'main', { WG }),
    uniforms: new UniformWriter(16).u32(count).u32(grid.rowStride).f32(value).u32(0).bytes,
    buffers: [out.buffer],
    workgroups: grid.workgroups,
    label: 'grad-fill',
  });
}

/** acc += scale · g, elementwise over acc's elements. */
export function recordAccumulate(ctx: GpuContext, cmd: CommandBatch, acc: GpuTensor, g: GpuTensor, scale = 1): void {
  unaligned('accumulate', acc, g);
  const count = elementCount(acc.dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(accumulateSource, 'main', { WG }),
    uniforms: new UniformWriter(16).u32(count).u32(grid.rowStride).f32(scale).u32(0).bytes,
    buffers: [g.buffer, acc.buffer],
    workgroups: grid.workgroups,
    label: 'grad-accumulate',
  });
}

/** Op codes shared with shaders/grad_unary.wgsl. */
export const UNARY_GRADS = {
  Sqrt: 0, Erf: 1, Tanh: 2, Exp: 3, Log: 4, Neg: 5, Abs: 6, Reciprocal: 7, Relu: 8, Sigmoid: 9,
  Gelu: 10, GeluTanh: 11, Clip: 12, Scale: 13, LeakyRelu: 14, Softplus: 15,
} as const;
export type UnaryGrad = keyof typeof UNARY_GRADS;

/** dx = g · f'(v), v the forward input or output (see UNARY_SAVES); alpha/beta: Clip's bounds, Scale's factor, LeakyRelu's slope. */
export function recordUnaryGrad(ctx: GpuContext, cmd: CommandBatch, op: UnaryGrad, v: GpuTensor | null, g: GpuTensor, dx: GpuTensor, alpha = 0, beta = 0): void {
  unaligned(`${op} backward`, g, dx);
  const count = elementCount(dx.dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(UNARY, 'main', { OP: UNARY_GRADS[op], WG }),
    uniforms: new UniformWriter(32).u32(count).u32(grid.rowStride).u32(v ? offsetOf(v) : 0).u32(0).f32(alpha).f32(beta).f32(0).f32(0).bytes,
    buffers: [(v ?? g).buffer, g.buffer, dx.buffer],
    workgroups: grid.workgroups,
    label: `grad-${op}`,
  });
}

/** Modes shared with shaders/grad_binary.wgsl: the factor one operand's gradient takes. */
export const BINARY_GRADS = { Ident: 0, Neg: 1, MulB: 2, MulA: 3, DivA: 4, DivB: 5, PowA: 6, PowB: 7 } as const;
export type BinaryGrad = keyof typeof BINARY_GRADS;

/** Whether `dims`, without leading 1s, are the trailing dims of `out` (then element i reads i mod its size). */
function isSuffix(dims: readonly number[], out: readonly number[]): boolean {
  let start = 0;
  while (start < dims.length && dims[start] === 1) start++;
  const core = dims.slice(start);
  return core.length <= out.length && core.every((d, i) => d === out[out.length - core.length + i]);
}

/**
 * dT = the sum over T's broadcast of g · (the mode's factor), for T (dims of `dt`) one operand of
 * z = f(a, b) whose output has g's dims. a and b (with their own dims) are read at their broadcast
 * strides; modes that read neither take null.
 */
export function recordBinaryGrad(ctx: GpuContext, cmd: CommandBatch, mode: BinaryGrad, operands: { a: GpuTensor; b: GpuTensor } | null, g: GpuTensor, dt: GpuTensor): void {
  unaligned('binary backward', g, dt);
  const count = elementCount(dt.dims);
  if (count === 0) return;
  const out = g.dims;
  const plan = broadcastReducePlan(dt.dims, out);
  const { a, b } = operands ?? { a: g, b: g };
  const strides = operandStrides(a.dims, b.dims, out);
  const direct = plan.reduceCount === 1 && elementCount(out) === count && isSuffix(a.dims, out) && isSuffix(b.dims, out);
  const grid = linearGrid(count, WG);
  const uniforms = new UniformWriter(192)
    .u32(count).u32(out.length).u32(plan.reduceCount).u32(grid.rowStride)
    .u32(offsetOf(a)).u32(offsetOf(b)).u32(Math.max(1, elementCount(a.dims))).u32(Math.max(1, elementCount(b.dims)))
    .u32x8(plan.tDims).u32x8(plan.rDims).u32x8(plan.outStrides)
    .u32x8(strides.aStrides).u32x8(strides.bStrides);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(BINARY, 'main', { MODE: BINARY_GRADS[mode], WG, DIRECT: direct ? 1 : 0 }),
    uniforms: uniforms.bytes,
    buffers: [a.buffer, b.buffer, g.buffer, dt.buffer],
    workgroups: grid.workgroups,
    label: `grad-binary-${mode}`,
  });
}

/** Softmax (v = its output) or LayerNorm (v = its input, optional gamma) backward over rows of `len`. */
export function recordRowsGrad(
  ctx: GpuContext, cmd: CommandBatch,
  job: { mode: 'softmax' | 'layerNorm'; v: GpuTensor; g: GpuTensor; dx: GpuTensor; len: number; gamma?: GpuTensor; epsilon?: number },
): void {
  unaligned(`${job.mode} backward`, job.g, job.dx);
  const rows = elementCount(job.dx.dims) / Math.max(1, job.len);
  if (rows === 0) return;
  const wg = job.len <= 32 ? 8 : job.len <= 128 ? 16 : job.len <= 1024 ? 64 : 128;
  const grid = linearGrid(rows, 1);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(rowsSource, 'main', { MODE: job.mode === 'softmax' ? 0 : 1, WG: wg, HAS_GAMMA: job.gamma ? 1 : 0 }),
    uniforms: new UniformWriter(32).u32(rows).u32(job.len).u32(offsetOf(job.v)).u32(grid.rowStride).f32(job.epsilon ?? 1e-5).u32(0).u32(0).u32(0).bytes,
    buffers: [job.v.buffer, (job.gamma ?? job.v).buffer, job.g.buffer, job.dx.buffer],
    workgroups: grid.workgroups,
    label: `grad-${job.mode}`,
  });
}

const MATMUL_WG = 8;

/** C[b] = A[b]ᵀ B[b] (K x N) with A[b] R x K, B[b] R x N; shared operands have batch stride 0. */
export function recordMatmulTN(
  ctx: GpuContext, cmd: CommandBatch, a: GpuTensor, b: GpuTensor, c: GpuTensor,
  shape: { R: number; K: number; N: number; batch: number; shareA?: boolean; shareB?: boolean },
): void {
  unaligned('matmul backward', a, b, c);
  const tile = 4 * MATMUL_WG;
  const { R, K, N, batch } = shape;
  cmd.dispatch({
    pipeline: ctx.pipelines.get(matmulSource, 'main', { WG: MATMUL_WG }),
    uniforms: new UniformWriter(32).u32(R).u32(K).u32(N).u32(0).u32(shape.shareA ? 0 : R * K).u32(shape.shareB ? 0 : R * N).u32(0).u32(0).bytes,
    buffers: [a.buffer, b.buffer, c.buffer],
    workgroups: [Math.ceil(N / tile), Math.ceil(K / tile), batch],
    label: 'grad-matmul-tn',
  });
}

/** dData ([outer, axisLen, inner]) from g ([outer, indexCount, inner]) and non-negative int32 indices. */
export function recordGatherGrad(
  ctx: GpuContext, cmd: CommandBatch, index: GPUBuffer, g: GpuTensor, dData: GpuTensor,
  shape: { axisLen: number; inner: number; indexCount: number },
): void {
  unaligned('gather backward', g, dData);
  const count = elementCount(dData.dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(gatherSource, 'main', { WG }),
    uniforms: new UniformWriter(32).u32(count).u32(shape.axisLen).u32(shape.inner).u32(shape.indexCount).u32(grid.rowStride).u32(0).u32(0).u32(0).bytes,
    buffers: [index, g.buffer, dData.buffer],
    workgroups: grid.workgroups,
    label: 'grad-gather',
  });
}

/** g = 2·scale·(y − t): the seed of the squared error scale·Σ(y − t)². */
export function recordMseGrad(ctx: GpuContext, cmd: CommandBatch, y: GpuTensor, t: GpuTensor, g: GpuTensor, scale: number): void {
  unaligned('squared error', y, t, g);
  const count = elementCount(g.dims);
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(mseSource, 'main', { MODE: 0, WG }),
    uniforms: new UniformWriter(32).u32(count).u32(grid.rowStride).u32(0).u32(0).f32(scale).f32(0).f32(0).f32(0).bytes,
    buffers: [y.buffer, t.buffer, g.buffer],
    workgroups: grid.workgroups,
    label: 'grad-mse',
  });
}

/** out[slot] (+)= scale·Σ(y − t)², in one workgroup. */
export function recordMseLoss(ctx: GpuContext, cmd: CommandBatch, y: GpuTensor, t: GpuTensor, out: GPUBuffer, l: { slot: number; scale: number; accumulate: boolean }): void {
  unaligned('squared error', y, t);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(mseSource, 'main', { MODE: 1, WG: 256, ACCUMULATE: l.accumulate ? 1 : 0 }),
    uniforms: new UniformWriter(32).u32(elementCount(y.dims)).u32(0).u32(l.slot).u32(0).f32(l.scale).f32(0).f32(0).f32(0).bytes,
    buffers: [y.buffer, t.buffer, out],
    workgroups: [1],
    label: 'grad-mse-loss',
  });
}
