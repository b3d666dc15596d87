import { gpuOps, isViewOp } from '../engine/gpu-ops.ts';
import type { GpuOp, GpuTensor } from '../engine/gpu-tensor.ts';
import { elementCount } from '../engine/kernels/dispatch.ts';
import type { OpExtensions } from '../engine/session.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CommandBatch } from '../gpu/encoder.ts';
import type { Model, Node } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { opKey, UnsupportedOpError, type OpRegistry, type RefTensor } from '../onnx/ops/types.ts';
import { recordBackward } from './backward.ts';
import { backwardRules } from './ops/index.ts';
import { gatherLayout } from './ops/movement.ts';
import { recordParameterForward } from './parameters.ts';
import { buildRegion, nodeKey, type Region, type RegionSpec } from './region.ts';
import type { BackwardRegistry } from './rule.ts';

/** Ops beyond ONNX's (the quantization simulator's FakeQuantize): forward definitions and backward rules. */
export interface GradExtensions {
  forward?: OpExtensions;
  backward?: BackwardRegistry;
}

/** A buffer shared by a value and its views; back to the pool when the last one is dropped. */
interface Storage {
  buffer: GPUBuffer;
  refs: number;
  owned: boolean;
}

/**
 * The values a forward pass kept for its backward pass (and the outputs and kept features a loss
 * reads). Release it once the backward pass is recorded.
 */
export class ForwardPass {
  constructor(
    private readonly ctx: GpuContext,
    readonly values: Map<string, GpuTensor>,
    private readonly storage: Map<string, Storage>,
    readonly weights: ReadonlyMap<string, GpuTensor>,
  ) {}

  value(name: string): GpuTensor {
    const v = this.values.get(name);
    if (!v) throw new Error(`forward pass: "${name}" was not kept (outputs and 'keep' values are)`);
    return v;
  }

  release(): void {
    for (const name of [...this.storage.keys()]) {
      const s = this.storage.get(name)!;
      this.storage.delete(name);
      if (--s.refs === 0 && s.owned) this.ctx.buffers.release(s.buffer);
    }
    this.values.clear();
  }
}

/**
 * Reverse-mode differentiation of a region of a model on WebGPU. Built once (plan, constants,
 * pipelines); then each step records a forward pass and a backward pass into a command batch,
 * reading nothing back, so many steps can go in one submit.
 */
export class GradProgram {
  readonly region: Region;
  readonly referenceOps: OpRegistry;
  private readonly kernels: Record<string, GpuOp>;
  private readonly uploaded = new Map<string, GpuTensor>();
  private readonly extras = new Map<Node, Record<string, GPUBuffer>>();
  /** The step at which each value is last read in the forward pass. */
  private readonly lastUse = new Map<string, number>();

  constructor(private readonly ctx: GpuContext, model: Model, spec: RegionSpec, extensions: GradExtensions = {}) {
    this.referenceOps = { ...onnxOps, ...extensions.forward?.reference };
    this.kernels = { ...gpuOps, ...extensions.forward?.gpu };
    this.region = buildRegion(model, spec, this.referenceOps, { ...backwardRules, ...extensions.backward });
    for (const node of this.region.nodes) {
      if (!isViewOp(node.opType) && !this.region.parameters.has(nodeKey(node)) && !this.kernels[opKey(node)]) {
        throw new UnsupportedOpError(node.opType, node.name, 'no WebGPU kernel for it');
      }
    }
    this.region.nodes.forEach((node, step) => node.inputs.forEach((name) => name && this.lastUse.set(name, step)));
    this.uploadGatherTables();
  }

  get batch(): number {
    return this.region.spec.inputs[0].dims[0];
  }

  /** A constant value on the GPU, uploaded once (float32 as is, integers as int32). */
  constant(name: string): GpuTensor | undefined {
    const have = this.uploaded.get(name);
    if (have) return have;
    const value = this.region.plan.constants.get(name);
    if (!value) return undefined;
    const float = value.dtype.startsWith('float') || value.dtype === 'bfloat16';
    const data = float ? Float32Array.from(value.data) : Int32Array.from(value.data, (v) => Math.max(-2147483648, Math.min(2147483647, v)));
    const buffer = this.ctx.device.createBuffer({
      size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: name,
    });
    this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    const t: GpuTensor = { buffer, dims: value.dims, dtype: float ? 'f32' : 'i32' };
    this.uploaded.set(name, t);
    return t;
  }

  private uploadGatherTables(): void {
    for (const { node, wants } of this.region.backward) {
      if (node.opType !== 'Gather' || !wants[0]) continue;
      const indices = this.region.plan.constants.get(node.inputs[1]);
      if (!indices) throw new UnsupportedOpError('Gather', node.name, 'backward: the indices must be constants');
      const { indices: table } = gatherLayout(node, this.region.plan.shapes.get(node.inputs[0])!.dims, indices as RefTensor);
      this.extras.set(node, { index: this.ctx.buffers.upload(table, `${node.name} indices`) });
    }
  }

  /**
   * Record the forward pass. `feeds` are the region inputs (the caller's buffers, batch-first, as
   * spec.inputs); `weights` the parameter layers' N x K weights by layer name.
   */
  recordForward(cmd: CommandBatch, feeds: Record<string, GpuTensor>, weights: ReadonlyMap<string, GpuTensor> = new Map()): ForwardPass {
    const { ctx, region } = this;
    const { plan } = region;
    const values = new Map<string, GpuTensor>();
    const storage = new Map<string, Storage>();
    for (const site of region.parameters.values()) {
      const w = weights.get(site.layer.name);
      if (!w || elementCount(w.dims) !== site.N * site.K) throw new Error(`forward pass: layer ${site.layer.name} needs an ${site.N} x ${site.K} weight`);
    }
    for (const { name } of region.spec.inputs) {
      const feed = feeds[name];
      const dims = plan.shapes.get(name)!.dims;
      if (!feed || elementCount(feed.dims) !== elementCount(dims)) throw new Error(`forward pass: input "${name}" must be given with dims [${dims.join(', ')}]`);
      values.set(name, { ...feed, dims });
      storage.set(name, { buffer: feed.buffer, refs: 1, owned: false });
    }
    const drop = (name: string) => {
      const s = storage.get(name);
      storage.delete(name);
      values.delete(name);
      if (s && --s.refs === 0 && s.owned) ctx.buffers.release(s.buffer);
    };
    const tensorFor = (name: string) => (name ? values.get(name) ?? this.constant(name) : undefined);
    region.nodes.forEach((node, step) => {
      const site = region.parameters.get(nodeKey(node));
      // A variable weight replaces the node's constant one, which is never uploaded.
      const ins = node.inputs.map((name, i) => (site && i === 1 ? undefined : tensorFor(name)));
      if (isViewOp(node.opType)) {
        const src = ins[0]!;
        values.set(node.outputs[0], { ...src, dims: plan.shapes.get(node.outputs[0])!.dims });
        const s = storage.get(node.inputs[0]) ?? { buffer: src.buffer, refs: 0, owned: false };
        s.refs++;
        storage.set(node.outputs[0], s);
      } else {
        const outs = node.outputs.map((name) => {
          const shape = plan.shapes.get(name)!;
          const buffer = ctx.buffers.acquire(Math.max(4, elementCount(shape.dims) * 4), name);
          storage.set(name, { buffer, refs: 1, owned: true });
          const t: GpuTensor = { buffer, dims: shape.dims, dtype: shape.dtype.startsWith('float') ? 'f32' : 'i32' };
          values.set(name, t);
          return t;
        });
        if (site) recordParameterForward(ctx, cmd, site, ins, weights.get(site.layer.name)!, outs[0]);
        else this.kernels[opKey(node)](ctx, cmd, node, ins, outs, { opset: plan.opset, constants: node.inputs.map((n) => plan.constants.get(n)) });
      }
      for (const out of node.outputs) if (out && !region.pinned.has(out) && !this.lastUse.has(out)) drop(out);
      for (const name of new Set(node.inputs)) if (name && this.lastUse.get(name) === step && !region.pinned.has(name)) drop(name);
    });
    return new ForwardPass(ctx, values, storage, weights);
  }

  /**
   * Record the backward pass from `seeds`: gradients of outputs or kept values, whose buffers pass
   * to the program (it releases them). Returns the gradients of the wrt values (by name) and of the
   * parameter weights (N x K, by layer name), which the caller releases.
   */
  recordBackward(cmd: CommandBatch, forward: ForwardPass, seeds: Map<string, GpuTensor>): { values: Map<string, GpuTensor>; parameters: Map<string, GpuTensor> } {
    return recordBackward(this.ctx, cmd, {
      region: this.region, forward, seeds, constant: (name) => this.constant(name), extras: (node) => this.extras.get(node) ?? {},
    });
  }

  dispose(): void {
    for (const t of this.uploaded.values()) t.buffer.destroy();
    this.uploaded.clear();
    for (const e of this.extras.values()) for (const b of Object.values(e)) this.ctx.buffers.release(b);
    this.extras.clear();
  }
}
