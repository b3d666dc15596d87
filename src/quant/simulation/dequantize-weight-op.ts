import kernelSource from '../../../shaders/dequantize_codes.wgsl?raw';
import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import type { GpuOp } from '../../engine/gpu-tensor.ts';
import { elementCount, linearGrid, UniformWriter } from '../../engine/kernels/dispatch.ts';
import type { Node, Tensor } from '../../onnx/ir.ts';
import { attrInt, attrInts } from '../../onnx/ops/attrs.ts';
import type { OpDefinition } from '../../onnx/ops/types.ts';
import { need } from '../../onnx/ops/util.ts';
import { dequantize } from './quantizer.ts';

/**
 * A quantized layer's weight in the simulated model, rebuilt from its codes on every run:
 * W~ = s (q − z) per output channel. The model then holds one byte per weight (the codes, packed
 * four to an int32) instead of a float copy, and the codes are those the export writes, so the
 * simulation computes with exactly the exported values. The node is never folded at plan time
 * (that would put the float weight back in memory) and runs just before its layer.
 *
 * Inputs: codes (int32 [ceil(count/4)], bytes little-endian), scales (float32 [N]), zero points
 * (float32 [N]). Attributes: dims (the weight's dims), nxk (1: the channel is the first dim,
 * else the last), channels N.
 */
export const DEQUANTIZE_WEIGHT_DOMAIN = 'ai.defakeq';
export const DEQUANTIZE_WEIGHT_OP = 'DequantizeWeight';

export interface WeightCodes {
  dims: number[];
  /** Output channel of the first dim (NxK layouts and conv weights) or of the last (KxN). */
  nxk: boolean;
  /** Codes packed four to a word (see packCodes). */
  codes: Tensor;
  scales: Tensor;
  zeroPoints: Tensor;
}

export function dequantizeWeightNode(name: string, inputs: [string, string, string], output: string, w: Pick<WeightCodes, 'dims' | 'nxk'>): Node {
  const channels = w.nxk ? w.dims[0] : w.dims[w.dims.length - 1];
  return {
    name, opType: DEQUANTIZE_WEIGHT_OP, domain: DEQUANTIZE_WEIGHT_DOMAIN, inputs: [...inputs], outputs: [output],
    attrs: { dims: { type: 'ints', value: [...w.dims] }, nxk: { type: 'int', value: w.nxk ? 1 : 0 }, channels: { type: 'int', value: channels } },
  };
}

/** Byte codes packed four to a 32-bit word, the first in the low byte (zero-padded). */
export function packCodes(codes: Uint8Array): Int32Array {
  const bytes = new Uint8Array(Math.ceil(codes.length / 4) * 4);
  bytes.set(codes);
  return new Int32Array(bytes.buffer);
}

function geometry(node: Node): { dims: number[]; count: number; N: number; K: number; nxk: boolean } {
  const op = { node, opset: 1 };
  const dims = attrInts(op, 'dims') ?? [];
  const N = attrInt(op, 'channels', 1);
  const count = elementCount(dims);
  return { dims, count, N, K: count / N, nxk: attrInt(op, 'nxk', 1) === 1 };
}

const reference: OpDefinition = {
  runtimeOnly: true,
  infer(_inputs, ctx) {
    return [{ dtype: 'float32', dims: geometry(ctx.node).dims }];
  },
  evaluate(inputs, ctx) {
    const words = need(inputs, 0, ctx).data;
    const scales = need(inputs, 1, ctx).data;
    const zeros = need(inputs, 2, ctx).data;
    const { dims, count, N, K, nxk } = geometry(ctx.node);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const n = nxk ? Math.floor(i / K) : i % N;
      const q = (words[i >> 2]! >>> ((i & 3) * 8)) & 0xff;
      data[i] = dequantize(q, { scale: scales[n]!, zeroPoint: zeros[n]!, bits: 8 });
    }
    return [{ dtype: 'float32', dims, data }];
  },
};

const WG = 64;
const gpu: GpuOp = (ctx, batch, node, inputs, outputs) => {
  const [codes, scales, zeros] = inputs;
  const { count, N, K, nxk } = geometry(node);
  const grid = linearGrid(count, WG);
  batch.dispatch({
    pipeline: ctx.pipelines.get(quantizerSource + kernelSource, 'main', { WG, W_NXK: nxk ? 1 : 0 }),
    uniforms: new UniformWriter(16).u32(count).u32(K).u32(N).u32(grid.rowStride).bytes,
    buffers: [codes!.buffer, scales!.buffer, zeros!.buffer, outputs[0].buffer],
    workgroups: grid.workgroups,
    label: 'dequantize-weight',
  });
};

const key = `${DEQUANTIZE_WEIGHT_DOMAIN}:${DEQUANTIZE_WEIGHT_OP}`;
export const dequantizeWeightReference: Record<string, OpDefinition> = { [key]: reference };
export const dequantizeWeightGpu: Record<string, GpuOp> = { [key]: gpu };
