import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import kernelSource from '../../../shaders/fake_quant.wgsl?raw';
import type { GpuOp } from '../../engine/gpu-tensor.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from '../../engine/kernels/dispatch.ts';
import type { Node } from '../../onnx/ir.ts';
import { attrFloat, attrInt } from '../../onnx/ops/attrs.ts';
import type { OpDefinition, OpRegistry } from '../../onnx/ops/types.ts';
import { need } from '../../onnx/ops/util.ts';
import { fakeQuantize, type QuantParams } from './quantizer.ts';
import { dequantizeWeightGpu, dequantizeWeightReference } from './dequantize-weight-op.ts';
import { activationStatsGpu, activationStatsReference } from '../calibration/activation-stats-op.ts';
import { squaredErrorGpu, squaredErrorReference } from '../evaluation/squared-error-op.ts';

/**
 * Per-tensor activation fake quantization as a graph node, so that the simulated quantized model
 * runs through the same engine (GPU) and reference executor (CPU) as any other model. It only
 * exists in memory: exports write real QuantizeLinear/DequantizeLinear.
 */
export const FAKE_QUANT_DOMAIN = 'ai.defakeq';
export const FAKE_QUANT_OP = 'FakeQuantize';

export function fakeQuantNode(name: string, input: string, output: string, p: QuantParams): Node {
  return {
    name, opType: FAKE_QUANT_OP, domain: FAKE_QUANT_DOMAIN, inputs: [input], outputs: [output],
    attrs: { scale: { type: 'float', value: p.scale }, zero_point: { type: 'int', value: p.zeroPoint }, bits: { type: 'int', value: p.bits } },
  };
}

function paramsOf(node: Node): QuantParams {
  const op = { node, opset: 1 };
  return { scale: attrFloat(op, 'scale', 1), zeroPoint: attrInt(op, 'zero_point', 0), bits: attrInt(op, 'bits', 8) };
}

const reference: OpDefinition = {
  infer(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    const x = need(inputs, 0, ctx);
    const p = paramsOf(ctx.node);
    return [{ dtype: x.dtype, dims: [...x.dims], data: x.data.map((v) => fakeQuantize(v, p)) }];
  },
};

const WG = 64;
const gpu: GpuOp = (ctx, batch, node, inputs, outputs) => {
  const x = inputs[0]!;
  const out = outputs[0];
  const p = paramsOf(node);
  const count = elementCount(out.dims);
  const grid = linearGrid(count, WG);
  batch.dispatch({
    pipeline: ctx.pipelines.get(quantizerSource + kernelSource, 'main', { WG }),
    uniforms: new UniformWriter(32).u32(count).u32(p.bits).u32(offsetOf(x)).u32(grid.rowStride).f32(p.scale).f32(p.zeroPoint).u32(0).u32(0).bytes,
    buffers: [x.buffer, out.buffer],
    workgroups: grid.workgroups,
    label: 'fake-quant',
  });
};

const key = `${FAKE_QUANT_DOMAIN}:${FAKE_QUANT_OP}`;
/** The simulator's ops (activation fake quantization, weights rebuilt from codes) for the CPU reference and the GPU. */
export const quantReferenceOps: OpRegistry = { [key]: reference, ...dequantizeWeightReference, ...activationStatsReference, ...squaredErrorReference };
export const quantGpuOps: Record<string, GpuOp> = { [key]: gpu, ...dequantizeWeightGpu, ...activationStatsGpu, ...squaredErrorGpu };
