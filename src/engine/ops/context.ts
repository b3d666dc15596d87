import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import type { Node } from '../../onnx/ir.ts';
import { unsupported } from '../../onnx/ops/attrs.ts';
import type { OpContext, RefTensor } from '../../onnx/ops/types.ts';
import type { GpuTensor } from '../gpu-tensor.ts';
import { elementCount } from '../kernels/dispatch.ts';

/** Everything a GPU op needs while recording one node. */
export class OpRecording {
  readonly op: OpContext;
  private readonly temps: GPUBuffer[] = [];

  constructor(
    readonly ctx: GpuContext,
    readonly batch: CommandBatch,
    readonly node: Node,
    readonly inputs: (GpuTensor | undefined)[],
    readonly outputs: GpuTensor[],
    readonly opset: number,
    readonly constants: (RefTensor | undefined)[],
  ) {
    this.op = { node, opset };
  }

  input(i: number): GpuTensor {
    const t = this.inputs[i];
    if (!t) throw this.unsupported(`input ${i} is missing`);
    return t;
  }

  constant(i: number): RefTensor {
    const c = this.constants[i];
    if (!c) throw this.unsupported(`input ${i} must be a constant to run on the GPU`);
    return c;
  }

  /**
   * A scratch buffer, returned to the pool once the node is recorded. A later dispatch in the same
   * CommandBatch may then get it back and overwrite it; that is safe because the GPU runs
   * dispatches in recording order and this node's reads come first. Never pair it with
   * queue.writeBuffer before submit: a write lands ahead of every recorded dispatch.
   */
  temp(dims: number[], dtype: 'f32' | 'i32' = 'f32'): GpuTensor {
    const buffer = this.ctx.buffers.acquire(Math.max(4, elementCount(dims) * 4), `${this.node.opType} scratch`);
    this.temps.push(buffer);
    return { buffer, dims, dtype };
  }

  unsupported(detail: string): Error {
    return unsupported(this.op, detail);
  }

  releaseTemps(): void {
    for (const b of this.temps) this.ctx.buffers.release(b);
    this.temps.length = 0;
  }
}
