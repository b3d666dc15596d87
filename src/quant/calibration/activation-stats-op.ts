import kernelSource from '../../../shaders/activation_stats.wgsl?raw';
import type { GpuOp } from '../../engine/gpu-tensor.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from '../../engine/kernels/dispatch.ts';
import type { Node } from '../../onnx/ir.ts';
import { attrInt } from '../../onnx/ops/attrs.ts';
import type { OpDefinition, ValueShape } from '../../onnx/ops/types.ts';
import { need } from '../../onnx/ops/util.ts';

/**
 * Calibration statistics of one activation tensor as a graph node, so that a calibration run
 * returns a few numbers per tapped tensor instead of reading whole activations back:
 *   outputs[0]  [2]  min and max over every value;
 *   outputs[1]  [C]  per channel (the last dim, or `channels` columns), the sum of squares over rows;
 *   outputs[2]  [K]  a stratified sample: the tensor cut into K equal runs, one value from each at
 *                    a position hashed from (seed, run), every value when K covers them all.
 * It only exists in memory (quant/calibrate.ts adds it to the model it runs).
 */
export const ACTIVATION_STATS_DOMAIN = 'ai.defakeq';
export const ACTIVATION_STATS_OP = 'ActivationStats';
/** The most values one node samples (the stratum arithmetic stays within 32 bits). */
export const MAX_SAMPLES = 65536;

export function activationStatsNode(name: string, input: string, outputs: [string, string, string], o: { channels: number; samples: number; seed: number }): Node {
  if (!Number.isInteger(o.samples) || o.samples < 1 || o.samples > MAX_SAMPLES) throw new RangeError(`activation stats: samples must be 1..${MAX_SAMPLES}, got ${o.samples}`);
  return {
    name, opType: ACTIVATION_STATS_OP, domain: ACTIVATION_STATS_DOMAIN, inputs: [input], outputs: [...outputs],
    attrs: { channels: { type: 'int', value: o.channels }, samples: { type: 'int', value: o.samples }, seed: { type: 'int', value: o.seed >>> 0 } },
  };
}

/** The same 32-bit hash as shaders/activation_stats.wgsl (a PCG output permutation). */
export function strataHash(v: number): number {
  let h = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  h = Math.imul(((h >>> ((h >>> 28) + 4)) ^ h) >>> 0, 277803737) >>> 0;
  return ((h >>> 22) ^ h) >>> 0;
}

/** Position of the sampled value of run j, as the kernel computes it (exact in 32-bit integers). */
export function samplePosition(j: number, count: number, samples: number, seed: number): number {
  const start = (k: number) => k * Math.floor(count / samples) + Math.floor((k * (count % samples)) / samples);
  const from = start(j);
  return from + (strataHash((j ^ seed) >>> 0) % (start(j + 1) - from));
}

interface Geometry {
  count: number;
  channels: number;
  rows: number;
  samples: number;
  seed: number;
}

function geometry(node: Node, x: ValueShape | { dims: number[] }): Geometry {
  const op = { node, opset: 1 };
  const count = elementCount(x.dims);
  const channels = attrInt(op, 'channels', x.dims[x.dims.length - 1] ?? 1);
  if (count < 1) throw new RangeError(`activation stats at ${node.name}: the tensor is empty`);
  if (count % channels !== 0) throw new RangeError(`activation stats at ${node.name}: ${count} values are not rows of ${channels} channels`);
  return { count, channels, rows: count / channels, samples: Math.min(attrInt(op, 'samples', 1), count), seed: attrInt(op, 'seed', 0) >>> 0 };
}

const reference: OpDefinition = {
  infer(inputs, ctx) {
    const g = geometry(ctx.node, need(inputs, 0, ctx));
    return [{ dtype: 'float32', dims: [2] }, { dtype: 'float32', dims: [g.channels] }, { dtype: 'float32', dims: [g.samples] }];
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const g = geometry(ctx.node, x);
    let lo = Infinity;
    let hi = -Infinity;
    const energy = new Float64Array(g.channels);
    for (let i = 0; i < g.count; i++) {
      const v = x.data[i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      energy[i % g.channels]! += v * v;
    }
    const sample = Float64Array.from({ length: g.samples }, (_, j) => x.data[samplePosition(j, g.count, g.samples, g.seed)]!);
    return [
      { dtype: 'float32', dims: [2], data: Float64Array.of(lo, hi) },
      { dtype: 'float32', dims: [g.channels], data: energy },
      { dtype: 'float32', dims: [g.samples], data: sample },
    ];
  },
};

const WG = 64;
const gpu: GpuOp = (ctx, batch, node, inputs, outputs) => {
  const x = inputs[0]!;
  const g = geometry(node, x);
  const grid = linearGrid(g.samples, WG);
  const uniforms = new UniformWriter(32).u32(g.count).u32(g.channels).u32(g.samples).u32(g.seed).u32(offsetOf(x)).u32(g.rows).u32(grid.rowStride).u32(0).bytes;
  const run = (entry: string, out: GPUBuffer, workgroups: [number, number?]) =>
    batch.dispatch({ pipeline: ctx.pipelines.get(kernelSource, entry, { WG }), uniforms, buffers: [x.buffer, out], workgroups, label: `activation-stats ${entry}` });
  run('minmax', outputs[0].buffer, [1]);
  run('energy', outputs[1].buffer, [Math.ceil(g.channels / WG)]);
  run('sample', outputs[2].buffer, grid.workgroups);
};

const key = `${ACTIVATION_STATS_DOMAIN}:${ACTIVATION_STATS_OP}`;
export const activationStatsReference: Record<string, OpDefinition> = { [key]: reference };
export const activationStatsGpu: Record<string, GpuOp> = { [key]: gpu };
