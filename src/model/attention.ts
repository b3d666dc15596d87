import type { Node } from '../onnx/ir.ts';
import { GraphIndex, modulePath } from './graph-index.ts';

/** softmax(Q·Kᵀ·scale + bias) · V, located in the graph. */
export interface AttentionCore {
  name: string;
  softmax: Node;
  /** The attention probabilities: tap this value for attention maps. */
  probs: string;
  scores: Node;
  context: Node;
  /** An additive term from a constant table (Swin's relative position bias) or a mask. */
  additive: string[];
}

const PASS_THROUGH = new Set(['Mul', 'Div', 'Add', 'Cast', 'Reshape', 'Where', 'Identity']);

export function findAttention(index: GraphIndex): AttentionCore[] {
  const cores: AttentionCore[] = [];
  for (const softmax of index.graph.nodes) {
    if (softmax.opType !== 'Softmax') continue;
    const additive: string[] = [];
    let scores: Node | undefined;
    let current = index.producer.get(softmax.inputs[0]);
    for (let i = 0; current && i < 10; i++) {
      if (current.opType === 'MatMul') {
        if (!index.constant(current.inputs[1])) scores = current;
        break;
      }
      if (!PASS_THROUGH.has(current.opType)) break;
      if (current.opType === 'Add') {
        const [a, b] = current.inputs;
        const fromScores = index.producer.get(a) && !index.constant(a) ? a : b;
        additive.push(fromScores === a ? b : a);
        current = index.producer.get(fromScores);
      } else {
        current = index.producer.get(current.inputs[0]);
      }
    }
    let probs = softmax.outputs[0];
    let next = index.soleConsumer(probs);
    while (next && (next.opType === 'Dropout' || next.opType === 'Identity' || next.opType === 'Cast')) {
      probs = next.outputs[0];
      next = index.soleConsumer(probs);
    }
    if (!scores || next?.opType !== 'MatMul' || next.inputs[0] !== probs) continue;
    cores.push({ name: modulePath(softmax), softmax, probs: softmax.outputs[0], scores, context: next, additive });
  }
  return cores;
}
