import kernelSource from '../../../shaders/squared_error.wgsl?raw';
import type { GpuOp } from '../../engine/gpu-tensor.ts';
import { elementCount, offsetOf, UniformWriter } from '../../engine/kernels/dispatch.ts';
import type { Node } from '../../onnx/ir.ts';
import type { OpDefinition } from '../../onnx/ops/types.ts';
import { need } from '../../onnx/ops/util.ts';

/**
 * [Σ a², Σ (a − b)²] of two tensors of one shape, as a graph node: a layer's output signal and its
 * quantization noise, reduced where both live (quant/evaluate.ts pairs the float and quantized
 * models in one graph), so neither comes back to the host. Only exists in memory.
 */
export const SQUARED_ERROR_DOMAIN = 'ai.defakeq';
export const SQUARED_ERROR_OP = 'SquaredError';

export function squaredErrorNode(name: string, a: string, b: string, output: string): Node {
  return { name, opType: SQUARED_ERROR_OP, domain: SQUARED_ERROR_DOMAIN, inputs: [a, b], outputs: [output], attrs: {} };
}

const reference: OpDefinition = {
  infer(inputs, ctx) {
    const [a, b] = [need(inputs, 0, ctx), need(inputs, 1, ctx)];
    if (elementCount(a.dims) !== elementCount(b.dims)) throw new RangeError(`squared error at ${ctx.node.name}: [${a.dims}] against [${b.dims}]`);
    return [{ dtype: 'float32', dims: [2] }];
  },
  evaluate(inputs, ctx) {
    const [a, b] = [need(inputs, 0, ctx).data, need(inputs, 1, ctx).data];
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < a.length; i++) {
      signal += a[i]! * a[i]!;
      noise += (a[i]! - b[i]!) ** 2;
    }
    return [{ dtype: 'float32', dims: [2], data: Float64Array.of(signal, noise) }];
  },
};

const gpu: GpuOp = (ctx, batch, _node, inputs, outputs) => {
  const [a, b] = [inputs[0]!, inputs[1]!];
  batch.dispatch({
    pipeline: ctx.pipelines.get(kernelSource, 'main', { WG: 64 }),
    uniforms: new UniformWriter(16).u32(elementCount(a.dims)).u32(offsetOf(a)).u32(offsetOf(b)).u32(0).bytes,
    buffers: [a.buffer, b.buffer, outputs[0].buffer],
    workgroups: [1],
    label: 'squared-error',
  });
};

const key = `${SQUARED_ERROR_DOMAIN}:${SQUARED_ERROR_OP}`;
export const squaredErrorReference: Record<string, OpDefinition> = { [key]: reference };
export const squaredErrorGpu: Record<string, GpuOp> = { [key]: gpu };
