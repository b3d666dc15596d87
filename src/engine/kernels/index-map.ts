import source from '../../../shaders/index_map.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from './dispatch.ts';

/** How an output coordinate outside the input is brought back (shaders/index_map.wgsl MODE). */
export const INDEX_MODES = { constant: 0, edge: 1, reflect: 2, wrap: 3 } as const;

export type IndexMode = keyof typeof INDEX_MODES;

const WG = 64;

/**
 * out[o] = x[o - begin] per axis, out-of-range coordinates resolved by `mode` (Pad's modes, or
 * `wrap` for Tile). `value` fills constant padding; it is written in out's dtype.
 */
export function recordIndexMap(
  ctx: GpuContext, batch: CommandBatch, x: GpuTensor, out: GpuTensor,
  map: { mode: IndexMode; begin: number[]; value?: number },
): void {
  const count = elementCount(out.dims);
  if (count === 0) return;
  if (offsetOf(out) !== 0) throw new RangeError('index map: the output must start at element 0');
  const word = new DataView(new ArrayBuffer(4));
  if (out.dtype === 'f32') word.setFloat32(0, map.value ?? 0, true);
  else word.setInt32(0, map.value ?? 0, true);
  const grid = linearGrid(count, WG);
  const uniforms = new UniformWriter(128)
    .u32(count).u32(out.dims.length).u32(offsetOf(x)).u32(word.getUint32(0, true))
    .u32(grid.rowStride).u32(0).u32(0).u32(0)
    .u32x8(out.dims)
    .u32x8(x.dims)
    .i32x8(map.begin);
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { MODE: INDEX_MODES[map.mode], WG }),
    uniforms: uniforms.bytes,
    buffers: [x.buffer, out.buffer],
    workgroups: grid.workgroups,
    label: `index map ${map.mode}`,
  });
}
