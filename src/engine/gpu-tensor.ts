import type { Node } from '../onnx/ir.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import type { RefTensor } from '../onnx/ops/types.ts';

/**
 * A value on the GPU. Floats are f32; every integer and bool dtype is i32 (int64 indices are
 * narrowed on upload, which shape plumbing and gather indices never overflow).
 */
export interface GpuTensor {
  buffer: GPUBuffer;
  dims: number[];
  dtype: 'f32' | 'i32';
  /** Offset into the buffer, in elements (aliases created by views). */
  offset?: number;
}

/**
 * Records the kernels for one node. Outputs are allocated by the executor from the shapes
 * inferred at plan time; the op only writes them. `constants[i]` holds input i's value when it
 * is known at plan time (e.g. Gather indices, Slice starts), so ops can bake it into uniforms.
 */
export type GpuOp = (
  ctx: GpuContext,
  batch: CommandBatch,
  node: Node,
  inputs: (GpuTensor | undefined)[],
  outputs: GpuTensor[],
  plan: { opset: number; constants: (RefTensor | undefined)[] },
) => void;
