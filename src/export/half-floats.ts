import { elementCount, type Model, type Node, type Tensor } from '../onnx/ir.ts';
import { roundToHalf } from '../quant/simulation/half-floats.ts';
import { worthHalving } from '../storage/half-floats.ts';

/**
 * Ops that read their float inputs as initializers of their own type: quantization scales
 * (onnxruntime fuses and checks Q/DQ and MatMulNBits parameters as constants). Their inputs stay
 * float32; so does anything read by an op outside the default domain.
 */
const KEEP_FOR = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulNBits']);

export interface HalvedModel {
  model: Model;
  /** The float32 initializers now stored as float16 behind a Cast, in graph order. */
  halved: string[];
  /** Bytes the values no longer take (2 a value; the Cast nodes cost some of it back). */
  savedBytes: number;
}

/**
 * Stores in float16 every float32 initializer whose values are all exactly float16 values, that
 * is large enough to pay for it and read only by ordinary float ops: `W` becomes the float16
 * initializer `W_float16` and a node `W_Cast` (Cast to float) writes `W` again, so its readers
 * see the same float32 values. Exact by construction: the file computes what it did.
 */
export function halfFloatInitializers(model: Model): HalvedModel {
  const { graph } = model;
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const initializers = new Map<string, Tensor>();
  const casts: Node[] = [];
  const halved: string[] = [];
  let savedBytes = 0;
  for (const [name, t] of graph.initializers) {
    const users = readers.get(name) ?? [];
    const count = elementCount(t.dims);
    const convertible = t.dtype === 'float32' && users.length > 0 && !outputs.has(name) && worthHalving(name, count)
      && users.every((n) => (n.domain === '' || n.domain === 'ai.onnx') && !KEEP_FOR.has(n.opType))
      && (t.data as Float32Array).every((v) => roundToHalf(v) === v);
    if (!convertible || initializers.has(`${name}_float16`) || graph.initializers.has(`${name}_float16`)) {
      initializers.set(name, t);
      continue;
    }
    initializers.set(`${name}_float16`, { name: `${name}_float16`, dtype: 'float16', dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) });
    casts.push({ name: `${name}_Cast`, opType: 'Cast', domain: '', inputs: [`${name}_float16`], outputs: [name], attrs: { to: { type: 'int', value: 1 } } });
    halved.push(name);
    savedBytes += 2 * count;
  }
  return { model: { ...model, graph: { ...graph, initializers, nodes: [...casts, ...graph.nodes] } }, halved, savedBytes };
}
