import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount } from '../engine/kernels/dispatch.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import type { Node } from '../onnx/ir.ts';
import { unsupported } from '../onnx/ops/attrs.ts';
import type { RefTensor } from '../onnx/ops/types.ts';
import { recordFill } from './kernels.ts';

/**
 * The backward pass of one op, defined once for the float64 reference and for WebGPU: `reference`
 * gives each wanted input's gradient from the forward values and the output gradients; `gpu`
 * records the kernels that compute the same. `saves` names the forward values both read, so the
 * GPU forward keeps only those.
 */
export interface BackwardRule {
  saves(node: Node): { inputs: number[]; outputs: number[] };
  reference(a: ReferenceBackward): (RefTensor | undefined)[];
  gpu(r: BackwardRecording): void;
}

export type BackwardRegistry = Record<string, BackwardRule>;

export interface ReferenceBackward {
  node: Node;
  opset: number;
  /** Every forward input and output (the reference keeps them all). */
  inputs: (RefTensor | undefined)[];
  outputs: (RefTensor | undefined)[];
  /** The gradient of each output; undefined where none flows back (zero). */
  grads: (RefTensor | undefined)[];
  /** Which inputs need a gradient. */
  wants: boolean[];
}

export const noSaves = () => ({ inputs: [], outputs: [] });

/** A float64 tensor of dims, filled by `fill`. */
export function refOf(dims: readonly number[], data: Float64Array): RefTensor {
  return { dtype: 'float32', dims: [...dims], data };
}

/** A gradient that is zero where none flowed back. */
export function gradOrZero(g: RefTensor | undefined, dims: readonly number[]): RefTensor {
  return g ?? refOf(dims, new Float64Array(elementCount(dims)));
}

/**
 * Everything a GPU backward rule needs while recording one node: the saved forward values, the
 * output gradients (borrowed: they are released after the node), and where to put each input's
 * gradient. A gradient given with `newGrad` or `passThrough` becomes the driver's, which adds it to
 * whatever gradient that value already has.
 */
export class BackwardRecording {
  readonly given: { index: number; tensor: GpuTensor }[] = [];
  private readonly temps: GPUBuffer[] = [];
  private readonly taken = new Set<number>();

  constructor(
    readonly ctx: GpuContext,
    readonly cmd: CommandBatch,
    readonly node: Node,
    readonly opset: number,
    readonly forward: { inputs: (GpuTensor | undefined)[]; outputs: (GpuTensor | undefined)[] },
    private readonly grads: (GpuTensor | undefined)[],
    readonly wants: boolean[],
    readonly dims: { inputs: number[][]; outputs: number[][] },
    readonly constants: (RefTensor | undefined)[],
    /** Buffers the program made for this node at build time (e.g. a Gather's index table). */
    readonly extras: Record<string, GPUBuffer> = {},
  ) {}

  get op() {
    return { node: this.node, opset: this.opset };
  }

  input(i: number): GpuTensor {
    const t = this.forward.inputs[i];
    if (!t) throw this.unsupported(`forward input ${i} was not kept for the backward pass`);
    return t;
  }

  output(i: number): GpuTensor {
    const t = this.forward.outputs[i];
    if (!t) throw this.unsupported(`forward output ${i} was not kept for the backward pass`);
    return t;
  }

  /** The gradient of output j, or undefined when none flows back to it. */
  grad(j = 0): GpuTensor | undefined {
    return this.grads[j];
  }

  constant(i: number): RefTensor {
    const c = this.constants[i];
    if (!c) throw this.unsupported(`input ${i} must be a constant`);
    return c;
  }

  /** A fresh buffer for input i's gradient (its dims), handed to the driver. */
  newGrad(i: number, zero = false): GpuTensor {
    const dims = this.dims.inputs[i];
    const tensor: GpuTensor = { buffer: this.ctx.buffers.acquire(Math.max(4, elementCount(dims) * 4), `grad ${this.node.inputs[i]}`), dims, dtype: 'f32' };
    if (zero) recordFill(this.ctx, this.cmd, tensor, 0);
    this.given.push({ index: i, tensor });
    return tensor;
  }

  /** Hand output j's gradient on as input i's, under input i's dims (views, identities). */
  passThrough(i: number, j = 0): void {
    const g = this.grads[j];
    if (!g) return;
    this.taken.add(j);
    this.given.push({ index: i, tensor: { ...g, dims: this.dims.inputs[i] } });
  }

  /** Whether output j's gradient was handed on (the driver then must not release it). */
  wasTaken(j: number): boolean {
    return this.taken.has(j);
  }

  temp(dims: number[]): GpuTensor {
    const buffer = this.ctx.buffers.acquire(Math.max(4, elementCount(dims) * 4), `${this.node.opType} backward scratch`);
    this.temps.push(buffer);
    return { buffer, dims, dtype: 'f32' };
  }

  unsupported(detail: string): Error {
    return unsupported(this.op, `backward: ${detail}`);
  }

  releaseTemps(): void {
    for (const b of this.temps) this.ctx.buffers.release(b);
    this.temps.length = 0;
  }
}
