import type { DType } from '../ir.ts';
import { allowAttrs, attrFloat, attrFloats, attrInt, attrInts, attrTensor, unsupported } from './attrs.ts';
import { castScalar, dtypeFromCode, tensorToRef } from './ref-tensor.ts';
import type { OpContext, OpDefinition, OpRegistry, RefTensor, ValueShape } from './types.ts';
import { constInts, hasInput, need } from './util.ts';

function castTo(x: RefTensor, dtype: DType): RefTensor {
  if (dtype === 'string') throw new TypeError('cannot cast to string');
  return { dtype, dims: [...x.dims], data: x.data.map((v) => castScalar(v, dtype)) };
}

function castTarget(ctx: OpContext): DType {
  const code = attrInt(ctx, 'to');
  if (code === undefined) throw unsupported(ctx, 'attribute "to" is required');
  const dtype = dtypeFromCode(code);
  if (!dtype || dtype === 'string') throw unsupported(ctx, `cast to data type ${code}`);
  return dtype;
}

const cast: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['to', 'saturate']);
    return [{ dtype: castTarget(ctx), dims: [...need(inputs, 0, ctx).dims] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, ['to', 'saturate']);
    return [castTo(need(inputs, 0, ctx), castTarget(ctx))];
  },
};

const castLike: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, ['saturate']);
    return [{ dtype: need(inputs, 1, ctx).dtype, dims: [...need(inputs, 0, ctx).dims] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, ['saturate']);
    return [castTo(need(inputs, 0, ctx), need(inputs, 1, ctx).dtype)];
  },
};

const identity: OpDefinition = {
  infer(inputs, ctx) {
    allowAttrs(ctx, []);
    const x = need(inputs, 0, ctx);
    return [{ dtype: x.dtype, dims: [...x.dims] }];
  },
  evaluate(inputs, ctx) {
    allowAttrs(ctx, []);
    return [need(inputs, 0, ctx)];
  },
};

function constantValue(ctx: OpContext): RefTensor {
  allowAttrs(ctx, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const t = attrTensor(ctx, 'value');
  if (t) return tensorToRef(t);
  const f = attrFloat(ctx, 'value_float');
  if (f !== undefined) return { dtype: 'float32', dims: [], data: Float64Array.of(f) };
  const fs = attrFloats(ctx, 'value_floats');
  if (fs) return { dtype: 'float32', dims: [fs.length], data: Float64Array.from(fs) };
  const i = attrInt(ctx, 'value_int');
  if (i !== undefined) return { dtype: 'int64', dims: [], data: Float64Array.of(i) };
  const is = attrInts(ctx, 'value_ints');
  if (is) return { dtype: 'int64', dims: [is.length], data: Float64Array.from(is) };
  throw unsupported(ctx, 'no supported value attribute (value, value_float(s), value_int(s))');
}

const constant: OpDefinition = {
  infer(_inputs, ctx) {
    const v = constantValue(ctx);
    return [{ dtype: v.dtype, dims: v.dims }];
  },
  evaluate(_inputs, ctx) {
    return [constantValue(ctx)];
  },
};

/** Inference-mode Dropout: the identity, with an all-true mask when asked for. */
function dropoutCheck(ctx: OpContext, constants: readonly (RefTensor | undefined)[]): void {
  allowAttrs(ctx, ctx.opset < 12 ? ['ratio', 'is_test', 'seed'] : ['seed']);
  if (ctx.opset >= 12 && hasInput(ctx, 2)) {
    const training = constInts(constants, 2);
    if (training === undefined) throw unsupported(ctx, 'training_mode must be known at plan time');
    if (training[0] !== 0) throw unsupported(ctx, 'training_mode=true');
  }
}

const dropout: OpDefinition = {
  infer(inputs, ctx, constants) {
    dropoutCheck(ctx, constants);
    const x = need(inputs, 0, ctx);
    const out: ValueShape[] = [{ dtype: x.dtype, dims: [...x.dims] }];
    if (ctx.node.outputs.length > 1) out.push({ dtype: 'bool', dims: [...x.dims] });
    return out;
  },
  evaluate(inputs, ctx) {
    dropoutCheck(ctx, inputs);
    const x = need(inputs, 0, ctx);
    const out: RefTensor[] = [x];
    if (ctx.node.outputs.length > 1) out.push({ dtype: 'bool', dims: [...x.dims], data: new Float64Array(x.data.length).fill(1) });
    return out;
  },
};

export const miscOps: OpRegistry = {
  Cast: cast,
  CastLike: castLike,
  Identity: identity,
  Constant: constant,
  Dropout: dropout,
};
