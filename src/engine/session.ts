import type { GpuContext } from '../gpu/device.ts';
import { CommandBatch } from '../gpu/encoder.ts';
import { readBuffer } from '../gpu/readback.ts';
import type { TimestampProfiler } from '../gpu/profiler.ts';
import type { Model, Tensor } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { onnxOps, opFor } from '../onnx/ops/index.ts';
import { opKey, UnsupportedOpError, type OpRegistry, type RefTensor } from '../onnx/ops/types.ts';
import { modelInputDims, prepareModel, type PreparedGraph } from '../onnx/prepare.ts';
import { gpuOps, isViewOp } from './gpu-ops.ts';
import type { GpuOp, GpuTensor } from './gpu-tensor.ts';
import { lastUses, valueFootprint } from './plan.ts';
import { constantStore, createFilled, deviceArray } from './constants.ts';

/** Ops beyond ONNX's (e.g. the quantization simulator's), with their reference and GPU definitions. */
export interface OpExtensions {
  reference: OpRegistry;
  gpu: Record<string, GpuOp>;
}

export interface RunOptions {
  /** Names of intermediate values to capture (layer inputs and outputs, attention probabilities). */
  taps?: string[];
}

export interface HostTensor {
  dims: number[];
  data: Float32Array | Int32Array;
}

export interface RunResult {
  outputs: Record<string, HostTensor>;
  taps: Map<string, HostTensor>;
}

/** A buffer shared by a value and its views; back to the pool when the last one dies. */
interface Storage {
  buffer: GPUBuffer;
  refs: number;
  owned: boolean;
}

function gpuDtype(dtype: string): 'f32' | 'i32' {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'float64' || dtype === 'bfloat16' ? 'f32' : 'i32';
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A model loaded for execution on WebGPU. Plans (shape inference and constant folding for one
 * batch size) are cached; constants are uploaded once and shared by every plan.
 */
export class GpuModel {
  private readonly plans = new Map<number, PreparedGraph>();
  /** Folded constants (not initializers), uploaded by this model: keyed by name and dims. */
  private readonly uploaded = new Map<string, GPUBuffer>();
  /** Initializers this model holds in the context's shared store (released on dispose). */
  private readonly shared = new Map<Tensor, GPUBuffer>();
  /** Plans for different batch sizes share their reference values (small constants; weights stay lazy). */
  private readonly initializerCache = new WeakMap<Tensor, RefTensor>();

  /** When set, every kernel of a run is timed on the GPU (read the timings from the profiler). */
  profiler: TimestampProfiler | null = null;
  private readonly referenceOps: OpRegistry;
  private readonly kernels: Record<string, GpuOp>;
  /** The model as the engine runs it (contrib ops lowered to standard ones). */
  private readonly runnable: Model;

  constructor(
    private readonly ctx: GpuContext,
    readonly model: Model,
    private readonly extensions?: OpExtensions,
  ) {
    this.referenceOps = extensions ? { ...onnxOps, ...extensions.reference } : onnxOps;
    this.kernels = extensions ? { ...gpuOps, ...extensions.gpu } : gpuOps;
    for (const node of model.graph.nodes) opFor(node, this.referenceOps); // fail early, naming the op and node
    this.runnable = lowerForEngine(model);
  }

  /**
   * The most images a run may take for its values to stay within `bytes` of GPU memory (at least
   * one, at most `batch`): callers that hold many images run them in pieces of this size, so the
   * activations of a large model stay about one block's worth whatever the batch.
   */
  imagesPerRun(bytes: number, batch: number): number {
    let one: number;
    try {
      one = valueFootprint(this.plan(1), isViewOp).pooled;
    } catch {
      return batch; // a model with a fixed batch runs as it must
    }
    return Math.max(1, Math.min(batch, Math.floor(bytes / Math.max(1, one))));
  }

  /** The device this model runs on. */
  get context(): GpuContext {
    return this.ctx;
  }

  /** Another model on the same device with the same op extensions (e.g. this one with observers added). */
  derive(model: Model): GpuModel {
    return new GpuModel(this.ctx, model, this.extensions);
  }

  plan(batch: number): PreparedGraph {
    let plan = this.plans.get(batch);
    if (!plan) {
      plan = prepareModel(this.runnable, modelInputDims(this.runnable, batch), this.referenceOps, { initializerCache: this.initializerCache });
      for (const node of plan.nodes) {
        if (!isViewOp(node.opType) && !this.kernels[opKey(node)]) {
          throw new UnsupportedOpError(node.opType, node.name || node.outputs[0], 'no WebGPU kernel for it');
        }
      }
      this.plans.set(batch, plan);
    }
    return plan;
  }

  /**
   * Every constant the plan reads, on the GPU: initializers from the context's shared store (one
   * buffer per tensor for every model that has it), folded values uploaded by this model. Uploads
   * are paced (ConstantStore.pace) so a big model is never staged whole.
   */
  private async constantBuffers(plan: PreparedGraph): Promise<Map<string, GPUBuffer>> {
    const store = constantStore(this.ctx);
    const out = new Map<string, GPUBuffer>();
    for (const [name, value] of plan.constants) {
      const initializer = this.runnable.graph.initializers.get(name);
      if (initializer && sameDims(initializer.dims, value.dims)) {
        let buffer = this.shared.get(initializer);
        if (!buffer) this.shared.set(initializer, (buffer = await store.acquire(initializer, name)));
        out.set(name, buffer);
        continue;
      }
      const key = `${name}|${value.dims.join('x')}`;
      let buffer = this.uploaded.get(key);
      if (!buffer) {
        const data = deviceArray({ name, dtype: value.dtype, data: value.data });
        this.uploaded.set(key, (buffer = createFilled(this.ctx, data, name)));
        await store.pace(data.byteLength);
      }
      out.set(name, buffer);
    }
    return out;
  }

  /** Run one batch. Inputs are flat arrays in the model's layout (e.g. NCHW pixels). */
  async run(inputs: Record<string, Float32Array>, batch: number, options: RunOptions = {}): Promise<RunResult> {
    const { ctx } = this;
    const plan = this.plan(batch);
    const constantBuffers = await this.constantBuffers(plan);
    const taps = options.taps ?? [];
    const outputNames = plan.outputs.map((o) => o.name);
    const last = lastUses(plan, outputNames);
    const values = new Map<string, GpuTensor>();
    const storageOf = new Map<string, Storage>();
    const cmd = new CommandBatch(ctx, this.profiler);
    const tapCopies: { name: string; buffer: GPUBuffer; dims: number[]; dtype: 'f32' | 'i32' }[] = [];

    const drop = (name: string) => {
      const storage = storageOf.get(name);
      storageOf.delete(name);
      values.delete(name);
      if (storage && --storage.refs === 0 && storage.owned) ctx.buffers.release(storage.buffer);
    };
    const tensorFor = (name: string): GpuTensor | undefined => {
      if (!name) return undefined;
      const live = values.get(name);
      if (live) return live;
      const constant = plan.constants.get(name);
      if (!constant) return undefined;
      return { buffer: constantBuffers.get(name)!, dims: constant.dims, dtype: gpuDtype(constant.dtype) };
    };

    ctx.device.pushErrorScope('validation');
    let scopeOpen = true;
    try {
      for (const info of plan.inputs) {
        const data = inputs[info.name];
        const shape = plan.shapes.get(info.name)!;
        if (!data) throw new Error(`missing input "${info.name}"`);
        if (data.length !== count(shape.dims)) {
          throw new Error(`input "${info.name}" has ${data.length} values; the model takes [${shape.dims.join(', ')}]`);
        }
        const buffer = ctx.buffers.upload(data, info.name);
        values.set(info.name, { buffer, dims: shape.dims, dtype: 'f32' });
        storageOf.set(info.name, { buffer, refs: 1, owned: true });
      }
      const tapSet = new Set(taps);
      const capture = (name: string) => {
        const t = values.get(name) ?? tensorFor(name);
        if (!t) return;
        const bytes = count(t.dims) * 4;
        const copy = ctx.buffers.acquire(bytes, `tap ${name}`);
        cmd.copy(t.buffer, copy, bytes, (t.offset ?? 0) * 4, 0);
        tapCopies.push({ name, buffer: copy, dims: t.dims, dtype: t.dtype });
      };
      for (const name of plan.inputs.map((i) => i.name)) if (tapSet.has(name)) capture(name);

      plan.nodes.forEach((node, step) => {
        const ins = node.inputs.map(tensorFor);
        if (isViewOp(node.opType)) {
          const src = ins[0]!;
          const out = node.outputs[0];
          const shape = plan.shapes.get(out)!;
          values.set(out, { ...src, dims: shape.dims });
          const storage = storageOf.get(node.inputs[0]) ?? { buffer: src.buffer, refs: 0, owned: false };
          storage.refs++;
          storageOf.set(out, storage);
        } else {
          const outs: GpuTensor[] = node.outputs.map((name) => {
            const shape = plan.shapes.get(name)!;
            const buffer = ctx.buffers.acquire(Math.max(4, count(shape.dims) * 4), name);
            storageOf.set(name, { buffer, refs: 1, owned: true });
            return { buffer, dims: shape.dims, dtype: gpuDtype(shape.dtype) };
          });
          node.outputs.forEach((name, i) => values.set(name, outs[i]));
          const constants = node.inputs.map((name) => (name ? plan.constants.get(name) : undefined));
          this.kernels[opKey(node)](ctx, cmd, node, ins, outs, { opset: plan.opset, constants });
        }
        for (const out of node.outputs) {
          if (tapSet.has(out)) capture(out);
          if (!last.has(out)) drop(out); // never read: e.g. LayerNormalization's optional Mean
        }
        for (const name of new Set(node.inputs)) if (name && last.get(name) === step) drop(name);
      });

      const outputs: { name: string; tensor: GpuTensor }[] = outputNames.map((name) => {
        const tensor = tensorFor(name);
        if (!tensor) throw new Error(`output "${name}" was not computed`);
        return { name, tensor };
      });
      cmd.submit();
      scopeOpen = false;
      const error = await ctx.device.popErrorScope();
      if (error) throw new Error(`WebGPU rejected the work for this model: ${error.message.split('\n')[0]}`);

      const result: RunResult = { outputs: {}, taps: new Map() };
      for (const { name, tensor } of outputs) result.outputs[name] = await this.read(tensor);
      for (const tap of tapCopies) {
        result.taps.set(tap.name, await this.read({ buffer: tap.buffer, dims: tap.dims, dtype: tap.dtype }));
      }
      return result;
    } finally {
      if (scopeOpen) void ctx.device.popErrorScope();
      for (const tap of tapCopies) ctx.buffers.release(tap.buffer);
      for (const name of [...storageOf.keys()]) drop(name);
    }
  }

  private async read(t: GpuTensor): Promise<HostTensor> {
    const bytes = await readBuffer(this.ctx, t.buffer, count(t.dims) * 4, (t.offset ?? 0) * 4);
    return { dims: t.dims, data: t.dtype === 'f32' ? new Float32Array(bytes) : new Int32Array(bytes) };
  }

  /** Free the uploaded constants (shared ones once no other model of the context holds them). */
  dispose(): void {
    for (const buffer of this.uploaded.values()) buffer.destroy();
    this.uploaded.clear();
    const store = constantStore(this.ctx);
    for (const t of this.shared.keys()) store.release(t);
    this.shared.clear();
    this.plans.clear();
  }
}
