/** Helpers for GPU op tests: run one node on WebGPU and with the float64 reference, on the same inputs. */
import type { GpuContext } from '../../gpu/device.ts';
import { CommandBatch } from '../../gpu/encoder.ts';
import { readBuffer } from '../../gpu/readback.ts';
import { randomFloats } from '../../gpu/testing.ts';
import type { AttrValue, DType, Node } from '../../onnx/ir.ts';
import { onnxOps } from '../../onnx/ops/index.ts';
import { opKey, type RefTensor } from '../../onnx/ops/types.ts';
import { gpuOps } from '../gpu-ops.ts';
import type { GpuTensor } from '../gpu-tensor.ts';

const FLOATS: ReadonlySet<DType> = new Set(['float32', 'float16', 'float64', 'bfloat16']);

export const isFloat = (dtype: DType) => FLOATS.has(dtype);

/** A random float tensor in [-1, 1), or scaled/shifted by `map`. */
export function randomRef(dims: number[], seed: number, map: (v: number) => number = (v) => v): RefTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', dims, data: Float64Array.from(randomFloats(n, seed), map) };
}

export function intRef(dims: number[], values: number[], dtype: DType = 'int64'): RefTensor {
  return { dtype, dims, data: Float64Array.from(values) };
}

export function testNode(opType: string, inputCount: number, attrs: Record<string, AttrValue> = {}, outputCount = 1, omitted: number[] = []): Node {
  return {
    name: `test_${opType}`,
    opType,
    domain: '',
    inputs: Array.from({ length: inputCount }, (_, i) => (omitted.includes(i) ? '' : `x${i}`)),
    outputs: Array.from({ length: outputCount }, (_, i) => `y${i}`),
    attrs,
  };
}

export interface OpRun {
  /** GPU results, widened to float64 for comparison. */
  gpu: RefTensor[];
  /** The float64 reference for the same inputs. */
  ref: RefTensor[];
}

/**
 * Run `node` through `gpuOps` and `onnxOps[...].evaluate`. Inputs whose index is in `constant`
 * are also handed to the GPU op as plan-time constants (as the executor does for folded values).
 * Output shapes and dtypes come from the reference.
 */
export async function runGpuOp(
  ctx: GpuContext, node: Node, inputs: (RefTensor | undefined)[],
  options: { opset?: number; constant?: number[] } = {},
): Promise<OpRun> {
  const opset = options.opset ?? 17;
  const constant = new Set(options.constant ?? []);
  const ref = onnxOps[opKey(node)].evaluate(inputs, { node, opset });
  const uploaded: GPUBuffer[] = [];
  const toGpu = (t: RefTensor): GpuTensor => {
    const float = isFloat(t.dtype);
    const data = float ? Float32Array.from(t.data) : Int32Array.from(t.data);
    const buffer = ctx.buffers.upload(data, 'test input');
    uploaded.push(buffer);
    return { buffer, dims: t.dims, dtype: float ? 'f32' : 'i32' };
  };
  const ins = inputs.map((t) => (t ? toGpu(t) : undefined));
  const outs: GpuTensor[] = ref.map((t) => {
    const buffer = ctx.buffers.acquire(Math.max(4, t.data.length * 4), 'test output');
    uploaded.push(buffer);
    return { buffer, dims: t.dims, dtype: isFloat(t.dtype) ? 'f32' : 'i32' };
  });
  try {
    ctx.device.pushErrorScope('validation');
    const batch = new CommandBatch(ctx);
    const gpuOp = gpuOps[opKey(node)];
    if (!gpuOp) throw new Error(`no GPU op for ${opKey(node)}`);
    try {
      gpuOp(ctx, batch, node, ins, outs, { opset, constants: inputs.map((t, i) => (constant.has(i) ? t : undefined)) });
      batch.submit();
    } catch (error) {
      await throwValidationError(ctx, error);
      throw error;
    }
    await throwValidationError(ctx);
    const gpu: RefTensor[] = [];
    for (const [i, o] of outs.entries()) {
      const bytes = await readBuffer(ctx, o.buffer, ref[i].data.length * 4);
      const data = o.dtype === 'f32' ? new Float32Array(bytes) : new Int32Array(bytes);
      gpu.push({ dtype: ref[i].dtype, dims: o.dims, data: Float64Array.from(data) });
    }
    return { gpu, ref };
  } finally {
    for (const b of uploaded) ctx.buffers.release(b);
  }
}

/** The worst |got - want| relative to max(1, |want|) per element; infinite when shapes differ or NaN appears. */
/** Pops the validation error scope and throws what it caught: it explains a failed launch better than the launch's own error. */
async function throwValidationError(ctx: GpuContext, launchError?: unknown): Promise<void> {
  const error = await ctx.device.popErrorScope();
  if (error) throw new Error(`WebGPU validation: ${error.message}`, { cause: launchError });
}

export function worstError(got: RefTensor, want: RefTensor): number {
  if (got.dims.join() !== want.dims.join() || got.data.length !== want.data.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i];
    const g = got.data[i];
    if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity;
    if (Number.isNaN(w)) continue;
    worst = Math.max(worst, Math.abs(g - w) / Math.max(1, Math.abs(w)));
  }
  return worst;
}

/** One table-driven GPU op test. */
export interface OpCase {
  name: string;
  op: string;
  inputs: (RefTensor | undefined)[];
  attrs?: Record<string, AttrValue>;
  /** Input indices known at plan time (default: every input after the first). */
  constant?: number[];
  opset?: number;
  outputs?: number;
  /** Allowed worstError (default 2e-6). */
  tolerance?: number;
}

/** Run a case; returns the worst error over its outputs, and the GPU outputs for further checks. */
export async function runCase(ctx: GpuContext, c: OpCase): Promise<{ worst: number; run: OpRun }> {
  const node = testNode(c.op, c.inputs.length, c.attrs, c.outputs ?? 1, c.inputs.flatMap((t, i) => (t ? [] : [i])));
  const constant = c.constant ?? c.inputs.map((_, i) => i).slice(1);
  const run = await runGpuOp(ctx, node, c.inputs, { opset: c.opset, constant });
  const worst = Math.max(...run.ref.map((want, i) => worstError(run.gpu[i], want)));
  return { worst, run };
}
