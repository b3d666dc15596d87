import source from '../../../shaders/gather.wgsl?raw';
import imSource from '../../../shaders/im2col.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import { linearGrid, UniformWriter } from './dispatch.ts';

const WG = 64;

/** out[o, k, n] = data[o, indices[k], n] for data viewed as [outer, axisLen, inner]. */
export function recordGather(
  ctx: GpuContext, batch: CommandBatch,
  data: GPUBuffer, dataOffset: number, indices: GPUBuffer, out: GPUBuffer,
  shape: { outer: number; axisLen: number; inner: number; indexCount: number },
): void {
  const count = shape.outer * shape.indexCount * shape.inner;
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  const uniforms = new UniformWriter(32)
    .u32(count).u32(shape.axisLen).u32(shape.inner).u32(shape.indexCount)
    .u32(dataOffset).u32(grid.rowStride).u32(0).u32(0);
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { WG }),
    uniforms: uniforms.bytes,
    buffers: [data, indices, out],
    workgroups: grid.workgroups,
    label: 'gather',
  });
}

export interface Im2colShape {
  N: number; C: number; H: number; W: number;
  KH: number; KW: number; OH: number; OW: number;
  strideH: number; strideW: number; padTop: number; padLeft: number; dilH: number; dilW: number;
}

/** cols [N, OH·OW, C·KH·KW] from x [N, C, H, W]. */
export function recordIm2col(ctx: GpuContext, batch: CommandBatch, x: GPUBuffer, xOffset: number, cols: GPUBuffer, s: Im2colShape): void {
  const count = s.N * s.OH * s.OW * s.C * s.KH * s.KW;
  const grid = linearGrid(count, WG);
  const uniforms = new UniformWriter(64)
    .u32(count).u32(s.C).u32(s.H).u32(s.W)
    .u32(s.KH).u32(s.KW).u32(s.OH).u32(s.OW)
    .u32(s.strideH).u32(s.strideW).u32(s.padTop).u32(s.padLeft)
    .u32(s.dilH).u32(s.dilW).u32(xOffset).u32(grid.rowStride);
  batch.dispatch({
    pipeline: ctx.pipelines.get(imSource, 'main', { WG }),
    uniforms: uniforms.bytes,
    buffers: [x, cols],
    workgroups: grid.workgroups,
    label: 'im2col',
  });
}
