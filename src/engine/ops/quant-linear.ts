import quantizerSource from '../../../shaders/quantizer.wgsl?raw';
import quantizeSource from '../../../shaders/quantize_linear.wgsl?raw';
import dequantizeSource from '../../../shaders/dequantize_linear.wgsl?raw';
import type { DType } from '../../onnx/ir.ts';
import { elementCount, linearGrid, offsetOf, UniformWriter } from '../kernels/dispatch.ts';
import type { OpRecording } from './context.ts';

/**
 * Activation QuantizeLinear/DequantizeLinear at run time, per tensor (weights' per-axis ones
 * are constants and fold at prepare time). Both reuse the studio's one quantizer in WGSL.
 */

const WG = 64;
const TYPES: Partial<Record<DType, { bits: number; lo: number }>> = {
  uint8: { bits: 8, lo: 0 }, int8: { bits: 8, lo: -128 }, uint4: { bits: 4, lo: 0 }, int4: { bits: 4, lo: -8 },
};

function perTensor(r: OpRecording): { scale: number; zeroPoint: number; dtype: DType } {
  const scale = r.constant(1);
  if (scale.data.length !== 1) throw r.unsupported('only per-tensor scales run on the GPU (per-axis ones must be on constants)');
  const zero = r.node.inputs[2] ? r.constant(2) : undefined;
  if (zero && zero.data.length !== 1) throw r.unsupported('only per-tensor zero points run on the GPU');
  return { scale: scale.data[0], zeroPoint: zero ? zero.data[0] : 0, dtype: zero?.dtype ?? 'uint8' };
}

function quantizeLinear(r: OpRecording): void {
  const x = r.input(0);
  const out = r.outputs[0];
  const p = perTensor(r);
  const type = TYPES[p.dtype];
  if (!type) throw r.unsupported(`quantizing to ${p.dtype} on the GPU`);
  const count = elementCount(out.dims);
  const grid = linearGrid(count, WG);
  r.batch.dispatch({
    pipeline: r.ctx.pipelines.get(quantizerSource + quantizeSource, 'main', { WG }),
    uniforms: new UniformWriter(32).u32(count).u32(type.bits).u32(offsetOf(x)).u32(grid.rowStride).f32(p.scale).f32(p.zeroPoint).f32(type.lo).u32(0).bytes,
    buffers: [x.buffer, out.buffer],
    workgroups: grid.workgroups,
    label: 'quantize-linear',
  });
}

function dequantizeLinear(r: OpRecording): void {
  const q = r.input(0);
  const out = r.outputs[0];
  const p = perTensor(r);
  if (q.dtype !== 'i32') throw r.unsupported('a float input');
  const count = elementCount(out.dims);
  const grid = linearGrid(count, WG);
  r.batch.dispatch({
    pipeline: r.ctx.pipelines.get(quantizerSource + dequantizeSource, 'main', { WG }),
    uniforms: new UniformWriter(32).u32(count).u32(offsetOf(q)).u32(grid.rowStride).u32(0).f32(p.scale).f32(p.zeroPoint).u32(0).u32(0).bytes,
    buffers: [q.buffer, out.buffer],
    workgroups: grid.workgroups,
    label: 'dequantize-linear',
  });
}

export const quantLinearImpls: Record<string, (r: OpRecording) => void> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};
