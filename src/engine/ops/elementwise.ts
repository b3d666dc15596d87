import { attrFloat, attrString } from '../../onnx/ops/attrs.ts';
import { BINARY_OPS, recordBinary, recordUnary, UNARY_OPS } from '../kernels/elementwise.ts';
import type { OpRecording } from './context.ts';

type Impl = (r: OpRecording) => void;

function binary(op: keyof typeof BINARY_OPS): Impl {
  return (r) => {
    const [a, b] = [r.input(0), r.input(1)];
    if (a.dtype !== 'f32' || b.dtype !== 'f32') throw r.unsupported('integer arithmetic at run time (it should have been folded)');
    recordBinary(r.ctx, r.batch, op, a, b, r.outputs[0]);
  };
}

/**
 * Max, Min, Sum and Mean take any number of inputs: a left fold of the binary kernel. Partial
 * results go through scratch (a kernel never reads and writes one buffer); Mean scales at the end.
 */
function variadic(op: 'Max' | 'Min' | 'Add', mean = false): Impl {
  return (r) => {
    const xs = r.inputs.filter((t) => t !== undefined);
    if (xs.length === 0) throw r.unsupported('no inputs');
    if (xs.some((t) => t.dtype !== 'f32')) throw r.unsupported('integer arithmetic at run time (it should have been folded)');
    const out = r.outputs[0];
    if (xs.length === 1) {
      recordUnary(r.ctx, r.batch, mean ? 'Affine' : 'Copy', xs[0], out, 1, 0);
      return;
    }
    let acc = xs[0];
    xs.slice(1).forEach((x, i) => {
      const lastStep = i === xs.length - 2 && !mean;
      const target = lastStep ? out : r.temp(out.dims);
      recordBinary(r.ctx, r.batch, op, acc, x, target);
      acc = target;
    });
    if (mean) recordUnary(r.ctx, r.batch, 'Affine', acc, out, 1 / xs.length, 0);
  };
}

function unary(op: keyof typeof UNARY_OPS, alpha = 0, beta = 0): Impl {
  return (r) => {
    const x = r.input(0);
    if (x.dtype !== 'f32') throw r.unsupported('integer input at run time');
    recordUnary(r.ctx, r.batch, op, x, r.outputs[0], alpha, beta);
  };
}

const scalarOf = (r: OpRecording, i: number, fallback: number) => (r.inputs[i] ? r.constant(i).data[0] : fallback);

export const elementwiseImpls: Record<string, Impl> = {
  ...Object.fromEntries((Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map((op) => [op, binary(op)])),
  ...Object.fromEntries(
    (['Sqrt', 'Erf', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Relu', 'Sigmoid', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Sign', 'Softplus', 'HardSwish'] as const).map(
      (op) => [op, unary(op)],
    ),
  ),
  Max: variadic('Max'),
  Min: variadic('Min'),
  Sum: variadic('Add'),
  Mean: variadic('Add', true),
  Gelu: (r) => unary(attrString(r.op, 'approximate', 'none') === 'tanh' ? 'GeluTanh' : 'Gelu')(r),
  LeakyRelu: (r) => unary('LeakyRelu', attrFloat(r.op, 'alpha', 0.01))(r),
  HardSigmoid: (r) => unary('HardSigmoid', attrFloat(r.op, 'alpha', 0.2), attrFloat(r.op, 'beta', 0.5))(r),
  Clip: (r) => {
    const lo = r.opset < 11 ? attrFloat(r.op, 'min', -3.4028234663852886e38) : scalarOf(r, 1, -3.4028234663852886e38);
    const hi = r.opset < 11 ? attrFloat(r.op, 'max', 3.4028234663852886e38) : scalarOf(r, 2, 3.4028234663852886e38);
    unary('Clip', lo, hi)(r);
  },
};
