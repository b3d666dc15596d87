import type { GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount } from '../engine/kernels/dispatch.ts';
import type { GpuContext } from '../gpu/device.ts';
import { CommandBatch } from '../gpu/encoder.ts';
import { readFloat32 } from '../gpu/readback.ts';
import type { Model } from '../onnx/ir.ts';
import { GradProgram, type GradExtensions } from './program.ts';
import type { RegionSpec } from './region.ts';

export interface GradientRun {
  /** Region inputs, batch-first as spec.inputs. */
  feeds: Record<string, Float32Array>;
  /** Parameter weights, N x K, by layer name. */
  weights?: ReadonlyMap<string, Float32Array>;
  /**
   * Gradients of the scalar being differentiated with respect to outputs or kept values: a one-hot
   * on a logit gives that logit's gradients.
   */
  seeds: Record<string, Float32Array>;
}

export interface GradientResult {
  outputs: Map<string, Float32Array>;
  values: Map<string, Float32Array>;
  parameters: Map<string, Float32Array>;
}

/**
 * One forward and backward pass of a region on the GPU, read back: e.g. d(logit)/d(attention
 * probabilities) of a whole model for an explanation. For many steps, keep a GradProgram and record
 * into batches instead (see the block reconstruction).
 */
export async function computeGradients(ctx: GpuContext, model: Model, spec: RegionSpec, run: GradientRun, extensions?: GradExtensions): Promise<GradientResult> {
  const program = new GradProgram(ctx, model, spec, extensions);
  try {
    return await runProgram(ctx, program, run);
  } finally {
    program.dispose();
  }
}

export async function runProgram(ctx: GpuContext, program: GradProgram, run: GradientRun): Promise<GradientResult> {
  const { plan } = program.region;
  const owned: GPUBuffer[] = [];
  const upload = (data: Float32Array, dims: number[], label: string): GpuTensor => {
    if (data.length !== elementCount(dims)) throw new Error(`${label}: ${data.length} values, expected [${dims.join(', ')}]`);
    const buffer = ctx.buffers.upload(data, label);
    owned.push(buffer);
    return { buffer, dims, dtype: 'f32' };
  };
  ctx.device.pushErrorScope('validation');
  let scopeOpen = true;
  try {
    const feeds = Object.fromEntries(program.region.spec.inputs.map(({ name }) => [name, upload(run.feeds[name] ?? new Float32Array(), plan.shapes.get(name)!.dims, `input ${name}`)]));
    const weights = new Map([...program.region.parameters.values()].map((s) => [s.layer.name, upload(run.weights?.get(s.layer.name) ?? new Float32Array(), [s.N, s.K], `weight ${s.layer.name}`)]));
    const seeds = new Map(Object.entries(run.seeds).map(([name, data]) => {
      const dims = plan.shapes.get(name)?.dims;
      if (!dims) throw new Error(`seed "${name}" names no value of the region`);
      const t = upload(data, dims, `seed ${name}`);
      owned.pop(); // the program releases seeds
      return [name, t];
    }));
    const cmd = new CommandBatch(ctx);
    const forward = program.recordForward(cmd, feeds, weights);
    const outputs = new Map([...program.region.spec.outputs, ...(program.region.spec.keep ?? [])].map((name) => {
      const t = forward.value(name);
      const copy = ctx.buffers.acquire(elementCount(t.dims) * 4, `output ${name}`);
      owned.push(copy);
      cmd.copy(t.buffer, copy, elementCount(t.dims) * 4, (t.offset ?? 0) * 4);
      return [name, { ...t, buffer: copy, offset: 0 }];
    }));
    const grads = program.recordBackward(cmd, forward, seeds);
    forward.release();
    cmd.submit();
    scopeOpen = false;
    const error = await ctx.device.popErrorScope();
    if (error) throw new Error(`WebGPU rejected the gradient pass: ${error.message.split('\n')[0]}`);
    const read = async (m: Map<string, GpuTensor>, release: boolean) => {
      const out = new Map<string, Float32Array>();
      for (const [name, t] of m) {
        out.set(name, await readFloat32(ctx, t.buffer, elementCount(t.dims)));
        if (release) ctx.buffers.release(t.buffer);
      }
      return out;
    };
    return { outputs: await read(outputs, false), values: await read(grads.values, true), parameters: await read(grads.parameters, true) };
  } finally {
    if (scopeOpen) void ctx.device.popErrorScope();
    for (const b of owned) ctx.buffers.release(b);
  }
}
