import type { DType, Node } from '../ir.ts';

/**
 * The semantics of ONNX operators, defined once: shape inference and constant folding use
 * `infer` and `evaluate`, the float64 CPU reference executor uses `evaluate`, and the GPU
 * kernels are tested against `evaluate`.
 */

/** A value during reference evaluation: every dtype is held as float64 (integers exact to 2^53). */
export interface RefTensor {
  dtype: DType;
  dims: number[];
  data: Float64Array;
}

/** The static type of a value once the batch size is fixed: every dim concrete. */
export interface ValueShape {
  dtype: DType;
  dims: number[];
}

export interface OpContext {
  node: Node;
  /** The model's opset for the node's domain. */
  opset: number;
}

export interface OpDefinition {
  /**
   * Never folded at plan time, even with constant inputs, and run just before the first node that
   * reads it: for nodes that rebuild a large value each run so that plans do not hold it (e.g. a
   * quantized weight dequantized from its codes).
   */
  runtimeOnly?: boolean;
  /**
   * Output dtypes and dims. `constants[i]` is input i's value when it is known at plan time
   * (initializers and folded subgraphs), e.g. the target shape of a Reshape.
   */
  infer(inputs: (ValueShape | undefined)[], ctx: OpContext, constants: (RefTensor | undefined)[]): ValueShape[];
  /** Reference computation in float64. Omitted inputs are undefined. */
  evaluate(inputs: (RefTensor | undefined)[], ctx: OpContext): RefTensor[];
}

/** Keyed by opType for the default domain, and by 'domain:opType' otherwise (e.g. 'com.microsoft:MatMulNBits'). */
export type OpRegistry = Record<string, OpDefinition>;

export function opKey(node: Pick<Node, 'domain' | 'opType'>): string {
  return node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}:${node.opType}`;
}

/** Raised when a model uses an operator (or an attribute of one) we do not implement. */
export class UnsupportedOpError extends Error {
  override name = 'UnsupportedOpError';
  constructor(readonly opType: string, readonly nodeName: string, detail = '') {
    super(`Unsupported operator ${opType} at node "${nodeName}"${detail ? `: ${detail}` : ''}`);
  }
}
