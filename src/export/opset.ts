import { defaultOpset, type Model, type Node, type Tensor } from '../onnx/ir.ts';

/** Low-bit DequantizeLinear (uint4/int4) needs opset 21; exports are written at it. */
export const EXPORT_OPSET = 21;
/** The IR version opset 21 and the 4-bit tensor types came with. */
export const EXPORT_IR_VERSION = 10;

const AXES_TO_INPUT_AT_18 = new Set([
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare',
]);

/**
 * The model rewritten for opset 21. Between 13 and 21 the only changes our graphs meet are that
 * reductions take `axes` as an input (18) and Split wants `num_outputs` when it has no sizes (18);
 * older models (axes attributes of 11 and before) are refused, naming the opset.
 */
export function upgradeOpset(model: Model): Model {
  const from = defaultOpset(model);
  if (from >= EXPORT_OPSET) return model;
  if (from < 13) throw new Error(`the model's opset ${from} is too old to export at opset ${EXPORT_OPSET}; re-export it at opset 13 or later`);
  const initializers = new Map(model.graph.initializers);
  const nodes = model.graph.nodes.map((node, i): Node => {
    if (from >= 18 || (node.domain !== '' && node.domain !== 'ai.onnx')) return node;
    if (AXES_TO_INPUT_AT_18.has(node.opType) && node.attrs.axes) {
      const { axes, ...attrs } = node.attrs;
      const values = axes.type === 'ints' ? axes.value : [];
      const name = `${node.name || `${node.opType}_${i}`}_axes`;
      const tensor: Tensor = { name, dtype: 'int64', dims: [values.length], data: Float64Array.from(values) };
      initializers.set(name, tensor);
      return { ...node, inputs: [node.inputs[0], name], attrs };
    }
    if (node.opType === 'Split' && !node.inputs[1] && !node.attrs.num_outputs) {
      return { ...node, attrs: { ...node.attrs, num_outputs: { type: 'int', value: node.outputs.length } } };
    }
    return node;
  });
  const opsets = model.opsets.map((o) => (o.domain === '' || o.domain === 'ai.onnx' ? { ...o, version: EXPORT_OPSET } : o));
  return { ...model, irVersion: Math.max(model.irVersion, EXPORT_IR_VERSION), opsets, graph: { ...model.graph, nodes, initializers } };
}
