/**
 * The Graph IR every later stage works on: decoded from ONNX by onnx/decode.ts,
 * written back by onnx/encode.ts. Names follow ONNX; values are plain typed arrays.
 */

/** ONNX TensorProto.DataType codes we read and write. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const;

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool' | 'int4' | 'uint4' | 'bfloat16' | 'string';

/**
 * Tensor values in memory, by dtype:
 * - float32, float16, bfloat16: Float32Array (halves are widened on decode);
 * - float64, int64, uint64, uint32: Float64Array (integers exact up to 2^53, which shape
 *   plumbing never exceeds; INT64_MAX in Slice ends becomes 2^63, which clamps the same);
 * - int32: Int32Array; int16: Int16Array; uint16: Uint16Array;
 * - int8, int4: Int8Array; uint8, uint4, bool: Uint8Array (4-bit values unpacked, one per element);
 * - string: string[].
 */
export type TensorValues = Float32Array | Float64Array | Int32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | string[];

export interface Tensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorValues;
}

/** A dimension: a number, a symbolic name (e.g. "batch"), or null when unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[] | null;
}

export type AttrValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'graph'; value: Graph };

export interface Node {
  name: string;
  opType: string;
  /** '' or 'ai.onnx' for the default domain, e.g. 'com.microsoft' otherwise. */
  domain: string;
  inputs: string[];   // '' marks an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Map<string, Tensor>;
  inputs: ValueInfo[];    // graph inputs that are not initializers
  outputs: ValueInfo[];
  valueInfo: Map<string, ValueInfo>;
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsets: OpsetImport[];
  producerName: string;
  producerVersion: string;
  metadata: Record<string, string>;
  graph: Graph;
}

/** Raised for any file that is not a well-formed ONNX model; the message names the problem. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/**
 * A graph that cannot be run as it stands: a missing or doubly produced value, a cycle, a shape
 * or constant that is out of range, a value over the size budget. The message is one line that
 * names the node and the value (names made printable); `node` and `value` carry them raw.
 */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(message: string, readonly node?: string, readonly value?: string) {
    super(message);
  }
}

export function defaultOpset(model: Model): number {
  return model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
