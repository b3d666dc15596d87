import source from '../../../shaders/rows.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import { linearGrid, UniformWriter } from './dispatch.ts';

export const ROW_MODES = { softmax: 0, layerNorm: 1, mean: 2, sum: 3, max: 4 } as const;

/** A row kernel over `rows` contiguous rows of `len` values starting at element `offset` of `x`. */
export interface RowJob {
  mode: keyof typeof ROW_MODES;
  x: GPUBuffer;
  offset: number;
  rows: number;
  len: number;
  out: GPUBuffer;
  gamma?: GPUBuffer;
  beta?: GPUBuffer;
  epsilon?: number;
}

export function recordRows(ctx: GpuContext, batch: CommandBatch, job: RowJob): void {
  if (job.rows === 0) return;
  // Short rows waste most of a wide workgroup on idle invocations and barriers.
  const WG = job.len <= 32 ? 8 : job.len <= 128 ? 16 : job.len <= 1024 ? 64 : 128;
  const grid = linearGrid(job.rows, 1);
  const affine = Boolean(job.gamma && job.beta);
  const uniforms = new UniformWriter(32)
    .u32(job.rows).u32(job.len).u32(job.offset).u32(grid.rowStride)
    .f32(job.epsilon ?? 1e-5).u32(0).u32(0).u32(0);
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { MODE: ROW_MODES[job.mode], WG, HAS_AFFINE: affine ? 1 : 0 }),
    uniforms: uniforms.bytes,
    buffers: [job.x, job.gamma ?? job.x, job.beta ?? job.x, job.out],
    workgroups: grid.workgroups,
    label: job.mode,
  });
}
