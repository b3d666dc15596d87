import type { Model, Node } from './ir.ts';
import { DEQUANTIZE_NBITS } from './ops/quant.ts';

/**
 * Rewrites contrib ops the engine runs as standard ones: MatMulNBits becomes its dequantized
 * weight (a node with constant inputs only, so prepare folds it into a float [K, N]) feeding a
 * MatMul, plus an Add for its bias. Models without such nodes come back unchanged.
 */
export function lowerForEngine(model: Model): Model {
  if (!model.graph.nodes.some(isMatMulNBits)) return model;
  const nodes: Node[] = [];
  for (const node of model.graph.nodes) {
    // g_idx (act-order) stays unlowered; the op's own definition refuses it, naming the node.
    if (!isMatMulNBits(node) || node.inputs[4]) {
      nodes.push(node);
      continue;
    }
    const [a, b, scales, zeros = '', , bias = ''] = node.inputs;
    const id = node.name || node.outputs[0];
    const weight = `${id}::dequantized_weight`;
    const { accuracy_level: _ignored, ...attrs } = node.attrs;
    nodes.push({ name: `${id}::dequantize`, domain: DEQUANTIZE_NBITS.domain, opType: DEQUANTIZE_NBITS.opType, inputs: [b, scales, zeros], outputs: [weight], attrs });
    const product = bias ? `${id}::product` : node.outputs[0];
    nodes.push({ name: id, domain: '', opType: 'MatMul', inputs: [a, weight], outputs: [product], attrs: {} });
    if (bias) nodes.push({ name: `${id}::bias`, domain: '', opType: 'Add', inputs: [product, bias], outputs: [node.outputs[0]], attrs: {} });
  }
  const hasDomain = model.opsets.some((o) => o.domain === DEQUANTIZE_NBITS.domain);
  return {
    ...model,
    opsets: hasDomain ? model.opsets : [...model.opsets, { domain: DEQUANTIZE_NBITS.domain, version: 1 }],
    graph: { ...model.graph, nodes },
  };
}

function isMatMulNBits(node: Node): boolean {
  return node.opType === 'MatMulNBits' && node.domain === 'com.microsoft';
}
