import { dtypeFromCode } from '../../onnx/dtypes.ts';
import type { DType } from '../../onnx/ir.ts';
import { attrInt } from '../../onnx/ops/attrs.ts';
import { recordLogic, type LogicOp } from '../kernels/logic.ts';
import type { OpRecording } from './context.ts';

type Impl = (r: OpRecording) => void;

function binary(op: LogicOp): Impl {
  return (r) => {
    const [a, b] = [r.input(0), r.input(1)];
    // The kernel reads both operands one way; ONNX requires them to share a type anyway.
    if (a.dtype !== b.dtype) throw r.unsupported(`operands of different types (${a.dtype}, ${b.dtype})`);
    recordLogic(r.ctx, r.batch, op, a, b, r.outputs[0]);
  };
}

const where: Impl = (r) => {
  const [cond, x, y] = [r.input(0), r.input(1), r.input(2)];
  if (x.dtype !== y.dtype) throw r.unsupported(`branches of different types (${x.dtype}, ${y.dtype})`);
  recordLogic(r.ctx, r.batch, 'Where', x, y, r.outputs[0], cond);
};

/** Integer types a 32-bit word holds without wrapping (narrower ones would need wrap-around). */
const WIDE_INTEGERS: ReadonlySet<DType> = new Set(['int32', 'int64', 'uint64']);

function castImpl(target: (r: OpRecording) => DType): Impl {
  return (r) => {
    const x = r.input(0);
    const to = target(r);
    const out = r.outputs[0];
    if (to === 'bool') recordLogic(r.ctx, r.batch, 'ToBool', x, null, out);
    else if (out.dtype === 'f32') recordLogic(r.ctx, r.batch, 'ToF32', x, null, out);
    else if (WIDE_INTEGERS.has(to)) recordLogic(r.ctx, r.batch, 'ToI32', x, null, out);
    else throw r.unsupported(`a cast to ${to} at run time (only float, int32, int64 and bool)`);
  };
}

const cast = castImpl((r) => {
  const code = attrInt(r.op, 'to', 0);
  const to = dtypeFromCode(code);
  if (!to) throw r.unsupported(`cast to data type ${code}`);
  return to;
});

/** CastLike's target type is its second input's: known exactly when that is a constant. */
const castLike = castImpl((r) => {
  const like = r.constants[1];
  if (like) return like.dtype;
  if (r.outputs[0].dtype === 'f32') return 'float32';
  throw r.unsupported('an integer target type must come from a constant input 1');
});

export const logicImpls: Record<string, Impl> = {
  Equal: binary('Equal'),
  Less: binary('Less'),
  LessOrEqual: binary('LessOrEqual'),
  Greater: binary('Greater'),
  GreaterOrEqual: binary('GreaterOrEqual'),
  And: binary('And'),
  Or: binary('Or'),
  Xor: binary('Xor'),
  Not: (r) => recordLogic(r.ctx, r.batch, 'Not', r.input(0), null, r.outputs[0]),
  Where: where,
  Cast: cast,
  CastLike: castLike,
};
