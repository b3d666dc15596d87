import { stridesOf } from '../../onnx/ops/util.ts';
import type { GpuTensor } from '../gpu-tensor.ts';

export { stridesOf };

export const MAX_WORKGROUPS = 65535;
export const MAX_RANK = 8;

/**
 * Workgroups for `count` independent items of `perGroup` each, folded into two dimensions past
 * the 65535 limit. `rowStride` is how many items one row of workgroups covers.
 */
export function linearGrid(count: number, perGroup: number): { workgroups: [number, number]; rowStride: number } {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  const x = Math.min(groups, MAX_WORKGROUPS);
  return { workgroups: [x, Math.ceil(groups / x)], rowStride: x * perGroup };
}

/** Strides that read `from` as if it had shape `to` (numpy broadcasting: 0 on stretched dims). */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const own = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  for (let i = 0; i < from.length; i++) {
    const j = to.length - from.length + i;
    out[j] = from[i] === 1 && to[j] !== 1 ? 0 : own[i];
  }
  return out;
}

export const elementCount = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export const offsetOf = (t: GpuTensor) => t.offset ?? 0;

/** Little helper to lay out a uniform struct of 4-byte fields. */
export class UniformWriter {
  private readonly view: DataView;
  private at = 0;

  constructor(bytes: number) {
    this.view = new DataView(new ArrayBuffer(bytes));
  }

  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }

  i32(v: number): this {
    this.view.setInt32(this.at, v | 0, true);
    this.at += 4;
    return this;
  }

  f32(v: number): this {
    this.view.setFloat32(this.at, v, true);
    this.at += 4;
    return this;
  }

  /** A rank-8 vector (two vec4s), zero-padded. */
  u32x8(values: readonly number[]): this {
    if (values.length > MAX_RANK) throw new RangeError(`rank ${values.length} exceeds ${MAX_RANK}`);
    for (let i = 0; i < MAX_RANK; i++) this.u32(values[i] ?? 0);
    return this;
  }

  i32x8(values: readonly number[]): this {
    if (values.length > MAX_RANK) throw new RangeError(`rank ${values.length} exceeds ${MAX_RANK}`);
    for (let i = 0; i < MAX_RANK; i++) this.i32(values[i] ?? 0);
    return this;
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.view.buffer);
  }
}
