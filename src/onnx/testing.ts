/** Builders for small IR models in tests. */
import type { AttrValue, Dim, DType, Model, Node, Tensor, TensorValues, ValueInfo } from './ir.ts';

export function tensor(name: string, dtype: DType, dims: number[], data: TensorValues): Tensor {
  return { name, dtype, dims, data };
}

export function f32(name: string, dims: number[], values: number[]): Tensor {
  return tensor(name, 'float32', dims, Float32Array.from(values));
}

export function i64(name: string, dims: number[], values: number[]): Tensor {
  return tensor(name, 'int64', dims, Float64Array.from(values));
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = `${opType}_${outputs[0]}`): Node {
  return { name, opType, domain: '', inputs, outputs, attrs };
}

export function valueInfo(name: string, shape: Dim[] | null, dtype: DType = 'float32'): ValueInfo {
  return { name, dtype, shape };
}

export interface ModelSpec {
  nodes: Node[];
  initializers?: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opset?: number;
  valueInfo?: ValueInfo[];
}

export function buildModel(spec: ModelSpec): Model {
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: spec.opset ?? 17 }],
    producerName: 'test',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: 'g',
      nodes: spec.nodes,
      initializers: new Map((spec.initializers ?? []).map((t) => [t.name, t])),
      inputs: spec.inputs,
      outputs: spec.outputs,
      valueInfo: new Map((spec.valueInfo ?? []).map((v) => [v.name, v])),
    },
  };
}
