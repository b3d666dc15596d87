import source from '../../../shaders/logic.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { broadcastStrides, elementCount, linearGrid, offsetOf, UniformWriter } from './dispatch.ts';

/** Op codes shared with shaders/logic.wgsl. */
export const LOGIC_OPS = {
  Equal: 0, Less: 1, LessOrEqual: 2, Greater: 3, GreaterOrEqual: 4,
  And: 5, Or: 6, Xor: 7, Not: 8, Where: 9, ToF32: 10, ToI32: 11, ToBool: 12,
} as const;

export type LogicOp = keyof typeof LOGIC_OPS;

const WG = 64;

/**
 * Record one logic kernel with numpy broadcasting to `out.dims`. `a` and `b` are the operands
 * (Where's x and y); `cond` is Where's condition. Operand interpretation (i32 or f32) follows a's dtype.
 */
export function recordLogic(ctx: GpuContext, batch: CommandBatch, op: LogicOp, a: GpuTensor, b: GpuTensor | null, out: GpuTensor, cond: GpuTensor | null = null): void {
  const dims = out.dims;
  const count = elementCount(dims);
  if (count === 0) return;
  const grid = linearGrid(count, WG);
  // Absent operands read a's first element (stride 0), so every binding stays valid.
  const stand = { ...a, dims: [] };
  const bb = b ?? stand;
  const cc = cond ?? stand;
  const uniforms = new UniformWriter(160)
    .u32(count).u32(dims.length).u32(offsetOf(a)).u32(offsetOf(bb))
    .u32(offsetOf(cc)).u32(offsetOf(out)).u32(grid.rowStride).u32(0)
    .u32x8(dims)
    .u32x8(broadcastStrides(a.dims, dims))
    .u32x8(broadcastStrides(bb.dims, dims))
    .u32x8(broadcastStrides(cc.dims, dims));
  batch.dispatch({
    pipeline: ctx.pipelines.get(source, 'main', { OP: LOGIC_OPS[op], IN_INT: a.dtype === 'i32' ? 1 : 0, WG }),
    uniforms: uniforms.bytes,
    buffers: [a.buffer, bb.buffer, cc.buffer, out.buffer],
    workgroups: grid.workgroups,
    label: `logic ${op}`,
  });
}
