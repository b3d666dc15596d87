import source from '../../../shaders/copy_strided.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import { elementCount, linearGrid, UniformWriter } from './dispatch.ts';

const WG = 64;

/** A strided copy: for every index i over `dims`, dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides]. */
export interface StridedCopy {
  dims: number[];
  src: GPUBuffer;
  srcOffset: number;
  srcStrides: number[];
  dst: GPUBuffer;
  dstOffset: number;
  dstStrides: number[];
}

export function recordStridedCopy(ctx: GpuContext, batch: CommandBatch, c: StridedCopy): void {
  const count = elementCount(c.dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  const uniforms = new UniformWriter(128)
    .u32(count).u32(c.dims.length).i32(c.srcOffset).i32(c.dstOffset)
    .u32(grid.rowStride).u32(0).u32(0).u32(0)
    .u32x8(c.dims)
    .i32x8(c.srcStrides)
    .i32x8(c.dstStrides);
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { WG }),
    uniforms: uniforms.bytes,
    buffers: [c.src, c.dst],
    workgroups: grid.workgroups,
    label: 'copy',
  });
}
