import type { AttrValue, DType, Node } from '../ir.ts';
import { onnxOps } from './index.ts';
import type { OpContext, RefTensor, ValueShape } from './types.ts';

/** Builds a reference value for op tests. */
export function t(dims: number[], data: number[], dtype: DType = 'float32'): RefTensor {
  return { dtype, dims, data: Float64Array.from(data) };
}

export const int64 = (dims: number[], data: number[]) => t(dims, data, 'int64');

export function node(opType: string, attrs: Record<string, AttrValue> = {}, inputCount = 1, outputCount = 1): Node {
  return {
    name: `${opType.toLowerCase()}_0`,
    opType,
    domain: '',
    inputs: Array.from({ length: inputCount }, (_, i) => `in${i}`),
    outputs: Array.from({ length: outputCount }, (_, i) => `out${i}`),
    attrs,
  };
}

export interface RunOptions {
  attrs?: Record<string, AttrValue>;
  opset?: number;
  outputs?: number;
}

/**
 * Evaluates one op and also checks that `infer` (given every input as a constant) predicts
 * exactly the dtypes and dims evaluate produced.
 */
export function run(opType: string, inputs: (RefTensor | undefined)[], opts: RunOptions = {}): RefTensor[] {
  const n = node(opType, opts.attrs, inputs.length, opts.outputs ?? 1);
  inputs.forEach((v, i) => {
    if (v === undefined) n.inputs[i] = '';
  });
  const ctx: OpContext = { node: n, opset: opts.opset ?? 17 };
  const def = onnxOps[opType];
  const out = def.evaluate(inputs, ctx);
  const inferred: ValueShape[] = def.infer(inputs, ctx, inputs);
  const actual = out.map((o) => ({ dtype: o.dtype, dims: o.dims }));
  const expected = inferred.map((o) => ({ dtype: o.dtype, dims: o.dims }));
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${opType}: infer ${JSON.stringify(expected)} differs from evaluate ${JSON.stringify(actual)}`);
  }
  for (const o of out) {
    if (o.data.length !== o.dims.reduce((a, b) => a * b, 1)) throw new Error(`${opType}: data length ${o.data.length} does not fit dims [${o.dims}]`);
  }
  return out;
}

/** The single output of an op, as a plain array. */
export function values(opType: string, inputs: (RefTensor | undefined)[], opts: RunOptions = {}): number[] {
  return [...run(opType, inputs, opts)[0].data];
}

export const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
export const int = (value: number): AttrValue => ({ type: 'int', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const str = (value: string): AttrValue => ({ type: 'string', value });
