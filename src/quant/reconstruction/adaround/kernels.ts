import quantizerSource from '../../../../shaders/quantizer.wgsl?raw';
import commonSource from '../../../../shaders/adaround_common.wgsl?raw';
import softSource from '../../../../shaders/adaround_soft.wgsl?raw';
import gradWSource from '../../../../shaders/adaround_grad_w.wgsl?raw';
import gradVSource from '../../../../shaders/adaround_grad_v.wgsl?raw';
import adamSource from '../../../../shaders/adaround_adam.wgsl?raw';
import gatherSource from '../../../../shaders/adaround_gather.wgsl?raw';
import lossSource from '../../../../shaders/adaround_loss.wgsl?raw';
import { linearGrid, UniformWriter } from '../../../engine/kernels/dispatch.ts';
import type { GpuContext } from '../../../gpu/device.ts';
import type { CommandBatch } from '../../../gpu/encoder.ts';

/** Kernels of one AdaRound step; each record* adds one dispatch to a batch and reads nothing back. */

const WG = 64;
const GRAD_W_WG = 8;
const withCommon = (src: string) => quantizerSource + commonSource + src;
const SOFT = withCommon(softSource);
const GRAD_V = withCommon(gradVSource);
const ADAM = withCommon(adamSource);
const LOSS = withCommon(lossSource);

/** The rounding state of a layer on the GPU, N x K, with per-row scale and zero point. */
export interface RoundingBuffers {
  N: number;
  K: number;
  bits: number;
  /** floor(W/s) */
  base: GPUBuffer;
  scales: GPUBuffer;
  zeros: GPUBuffer;
  v: GPUBuffer;
}

/** W~ from V (soft), or with h = [V ≥ 0] (hard). */
export function recordQuantizedWeight(ctx: GpuContext, cmd: CommandBatch, r: RoundingBuffers, out: GPUBuffer, hard: boolean, v: GPUBuffer = r.v): void {
  const count = r.N * r.K;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(SOFT, 'main', { WG, HARD: hard ? 1 : 0 }),
    uniforms: new UniformWriter(16).u32(count).u32(r.K).u32(r.bits).u32(grid.rowStride).bytes,
    buffers: [r.base, r.scales, r.zeros, v, out],
    workgroups: grid.workgroups,
    label: hard ? 'adaround-hard-weight' : 'adaround-soft-weight',
  });
}

/** out (rows x width) = the rows of src listed at index[indexOffset ..]. */
export function recordGatherRows(ctx: GpuContext, cmd: CommandBatch, src: GPUBuffer, index: GPUBuffer, indexOffset: number, rows: number, width: number, out: GPUBuffer): void {
  const grid = linearGrid(rows * width, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(gatherSource, 'main', { WG }),
    uniforms: new UniformWriter(16).u32(rows).u32(width).u32(indexOffset).u32(grid.rowStride).bytes,
    buffers: [src, index, out],
    workgroups: grid.workgroups,
    label: 'adaround-gather',
  });
}

/** out (N x K) = scale · (yq − y)ᵀ x, with yq, y R x N and x R x K. */
export function recordWeightGradient(ctx: GpuContext, cmd: CommandBatch, yq: GPUBuffer, y: GPUBuffer, x: GPUBuffer, out: GPUBuffer, shape: { R: number; N: number; K: number }, scale: number): void {
  const tile = 4 * GRAD_W_WG;
  cmd.dispatch({
    pipeline: ctx.pipelines.get(gradWSource, 'main', { WG: GRAD_W_WG }),
    uniforms: new UniformWriter(32).u32(shape.R).u32(shape.N).u32(shape.K).u32(0).f32(scale).f32(0).f32(0).f32(0).bytes,
    buffers: [yq, y, x, out],
    workgroups: [Math.ceil(shape.K / tile), Math.ceil(shape.N / tile)],
    label: 'adaround-grad-w',
  });
}

export interface RegulariserTerm {
  alpha: number;
  beta: number;
}

/** out = dL/dV (no update): the chain rule of the Adam kernel, on its own. */
export function recordVGradient(ctx: GpuContext, cmd: CommandBatch, r: RoundingBuffers, gradW: GPUBuffer, out: GPUBuffer, reg: RegulariserTerm): void {
  const count = r.N * r.K;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(GRAD_V, 'main', { WG }),
    uniforms: new UniformWriter(32).u32(count).u32(r.K).u32(r.bits).u32(grid.rowStride).f32(reg.alpha).f32(reg.beta).f32(0).f32(0).bytes,
    buffers: [r.base, r.scales, r.zeros, gradW, r.v, out],
    workgroups: grid.workgroups,
    label: 'adaround-grad-v',
  });
}

export interface AdamStep extends RegulariserTerm {
  /** 1-based step number, for the bias corrections. */
  t: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** One Adam step on V from gradW = d rec / d W~; m and u are the moments (zero at the start). */
export function recordAdamStep(ctx: GpuContext, cmd: CommandBatch, r: RoundingBuffers, gradW: GPUBuffer, m: GPUBuffer, u: GPUBuffer, s: AdamStep): void {
  const count = r.N * r.K;
  const grid = linearGrid(count, WG);
  cmd.dispatch({
    pipeline: ctx.pipelines.get(ADAM, 'main', { WG }),
    uniforms: new UniformWriter(48)
      .u32(count).u32(r.K).u32(r.bits).u32(grid.rowStride)
      .f32(s.alpha).f32(s.beta).f32(s.lr).f32(s.eps)
      .f32(s.beta1).f32(s.beta2).f32(1 - s.beta1 ** s.t).f32(1 - s.beta2 ** s.t).bytes,
    buffers: [r.base, r.scales, r.zeros, gradW, r.v, m, u],
    workgroups: grid.workgroups,
    label: 'adaround-adam',
  });
}

export interface LossRecord {
  /** Elements of yq and y. */
  count: number;
  /** Multiplies Σ(yq − y)². */
  scale: number;
  /** Adds to out[slot] instead of overwriting it. */
  accumulate: boolean;
  /** Also writes Σ(1 − |2h − 1|^β) over V to out[slot + 1] when given. */
  regulariser?: { v: GPUBuffer; count: number; beta: number };
  slot: number;
}

/** out[slot] (+)= scale · Σ(yq − y)²; out[slot + 1] = the regulariser (one workgroup). */
export function recordLoss(ctx: GpuContext, cmd: CommandBatch, yq: GPUBuffer, y: GPUBuffer, out: GPUBuffer, l: LossRecord): void {
  cmd.dispatch({
    pipeline: ctx.pipelines.get(LOSS, 'main', { ACCUMULATE: l.accumulate ? 1 : 0 }),
    uniforms: new UniformWriter(32).u32(l.count).u32(l.regulariser?.count ?? 0).u32(l.slot).u32(0).f32(l.scale).f32(l.regulariser?.beta ?? 2).f32(0).f32(0).bytes,
    buffers: [yq, y, l.regulariser?.v ?? y, out],
    workgroups: [1],
    label: 'adaround-loss',
  });
}
