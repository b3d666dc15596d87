import type { Node } from '../onnx/ir.ts';
import { GraphIndex, modulePath } from './graph-index.ts';

export interface LayerNormSite {
  name: string;
  form: 'fused' | 'decomposed';
  input: string;
  output: string;
  gamma?: string;
  beta?: string;
}

export interface GeluSite {
  name: string;
  form: 'erf' | 'tanh' | 'op';
  node: Node;
}

/** Mul by a constant then Add of a constant, right after `name`: the affine part of a norm. */
function affineAfter(index: GraphIndex, name: string): { output: string; gamma?: string; beta?: string } {
  const constantOperand = (node: Node, from: string) => {
    const other = node.inputs[0] === from ? node.inputs[1] : node.inputs[0];
    return index.constant(other) ? other : undefined;
  };
  let output = name;
  let gamma: string | undefined;
  let beta: string | undefined;
  const mul = index.soleConsumer(output);
  if (mul?.opType === 'Mul' && (gamma = constantOperand(mul, output))) {
    output = mul.outputs[0];
    const add = index.soleConsumer(output);
    if (add?.opType === 'Add' && (beta = constantOperand(add, output))) output = add.outputs[0];
  }
  return { output, gamma, beta };
}

export function findLayerNorms(index: GraphIndex): LayerNormSite[] {
  const sites: LayerNormSite[] = [];
  for (const node of index.graph.nodes) {
    if (node.opType === 'LayerNormalization') {
      sites.push({ name: modulePath(node), form: 'fused', input: node.inputs[0], output: node.outputs[0], gamma: node.inputs[1], beta: node.inputs[2] || undefined });
      continue;
    }
    // x - mean(x), divided by sqrt(mean((x - mean)^2) + eps)
    if (node.opType !== 'ReduceMean') continue;
    const sub = index.consumersOf(node.outputs[0]).find((n) => n.opType === 'Sub' && n.inputs[0] === node.inputs[0]);
    if (!sub) continue;
    const div = index.consumersOf(sub.outputs[0]).find((n) => n.opType === 'Div');
    const pow = index.consumersOf(sub.outputs[0]).find((n) => n.opType === 'Pow');
    if (!div || !pow) continue;
    sites.push({ name: modulePath(node), form: 'decomposed', input: node.inputs[0], ...affineAfter(index, div.outputs[0]) });
  }
  return sites;
}

export function findGelus(index: GraphIndex): GeluSite[] {
  const sites: GeluSite[] = [];
  for (const node of index.graph.nodes) {
    if (node.opType === 'Gelu' || node.opType === 'FastGelu') sites.push({ name: modulePath(node), form: 'op', node });
    else if (node.opType === 'Erf') sites.push({ name: modulePath(node), form: 'erf', node });
    else if (node.opType === 'Tanh') {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): the Tanh is followed by +1 and a product.
      const plusOne = index.soleConsumer(node.outputs[0]);
      const product = plusOne?.opType === 'Add' ? index.soleConsumer(plusOne.outputs[0]) : undefined;
      if (product?.opType === 'Mul') sites.push({ name: modulePath(node), form: 'tanh', node });
    }
  }
  return sites;
}
