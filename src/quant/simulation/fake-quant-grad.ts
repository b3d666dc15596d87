import { recordUnaryGrad } from '../../grad/kernels.ts';
import type { GradExtensions } from '../../grad/program.ts';
import { gradOrZero, refOf, type BackwardRule } from '../../grad/rule.ts';
import type { Node } from '../../onnx/ir.ts';
import { attrFloat, attrInt } from '../../onnx/ops/attrs.ts';
import { FAKE_QUANT_DOMAIN, FAKE_QUANT_OP, quantGpuOps, quantReferenceOps } from './fake-quant-op.ts';
import { levels } from './quantizer.ts';

/**
 * The backward pass of the simulator's activation quantizer: the straight-through estimator. The
 * gradient passes unchanged where x lies inside the quantizer's range [s(0 − z), s(2^k − 1 − z)]
 * (rounding is treated as the identity) and is zero where the quantizer clamps. On the GPU it is
 * the Clip backward kernel with those bounds.
 */
export function straightThroughRange(node: Node): [number, number] {
  const op = { node, opset: 1 };
  const scale = attrFloat(op, 'scale', 1);
  const zero = attrInt(op, 'zero_point', 0);
  return [scale * (0 - zero), scale * (levels(attrInt(op, 'bits', 8)) - zero)];
}

const straightThrough: BackwardRule = {
  saves: () => ({ inputs: [0], outputs: [] }),
  reference(a) {
    if (!a.wants[0]) return [];
    const x = a.inputs[0]!;
    const [lo, hi] = straightThroughRange(a.node);
    const g = gradOrZero(a.grads[0], x.dims);
    return [refOf(x.dims, g.data.map((gi, i) => (x.data[i] >= lo && x.data[i] <= hi ? gi : 0)))];
  },
  gpu(r) {
    const g = r.grad(0);
    if (!g || !r.wants[0]) return;
    const [lo, hi] = straightThroughRange(r.node);
    recordUnaryGrad(r.ctx, r.cmd, 'Clip', r.input(0), g, r.newGrad(0), lo, hi);
  },
};

/** The simulated quantized model's ops, forward and backward, for gradient regions (src/grad). */
export const quantGradExtensions: GradExtensions = {
  forward: { reference: quantReferenceOps, gpu: quantGpuOps },
  backward: { [`${FAKE_QUANT_DOMAIN}:${FAKE_QUANT_OP}`]: straightThrough },
};
