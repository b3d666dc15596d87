import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../model/summary.ts';
import { decodeModel } from '../onnx/decode.ts';
import type { Model } from '../onnx/ir.ts';
import { assertDifferentiable, referenceAttentionGradients } from './gradients.ts';
import { MethodUnavailableError } from './methods.ts';

const vit = () => decodeModel(new Uint8Array(readFileSync(new URL('../../tools/fixtures/vit_tiny_op17.onnx', import.meta.url))));
const target = (m: Model) => ({ output: m.graph.outputs[0].name, index: 1 });
const probsOf = (m: Model) => analyzeModel(m).attention.map((c) => c.probs);

describe('which models the gradient method can go through', () => {
  it('takes a model exported with a fixed batch, checked and run at that batch', async () => {
    const model = vit();
    const fixed: Model = { ...model, graph: { ...model.graph, inputs: model.graph.inputs.map((i) => ({ ...i, shape: [3, ...(i.shape ?? []).slice(1)] })) } };
    expect(() => assertDifferentiable(fixed, probsOf(fixed), target(fixed))).not.toThrow();
    const grads = await referenceAttentionGradients.attentionGradients(fixed, new Float32Array(3 * 3 * 32 * 32).fill(0.25), 3, probsOf(fixed), target(fixed));
    expect(grads.get(probsOf(fixed)[0])!.dims[0]).toBe(3);
  });

  it('refuses, naming the op and node, a model with an op on the gradient path that has no backward rule', () => {
    const model = vit();
    const head = model.graph.nodes.find((n) => n.outputs.includes(model.graph.outputs[0].name))!;
    const floor = { name: 'floor_features', domain: '', opType: 'Floor', inputs: [head.inputs[0]], outputs: ['floored'], attrs: {} };
    const nodes = model.graph.nodes.flatMap((n) => (n === head ? [floor, { ...n, inputs: ['floored', ...n.inputs.slice(1)] }] : [n]));
    const broken: Model = { ...model, graph: { ...model.graph, nodes } };
    expect(() => assertDifferentiable(broken, probsOf(broken), target(broken))).toThrow(MethodUnavailableError);
    expect(() => assertDifferentiable(broken, probsOf(broken), target(broken))).toThrow(/^gradient × attention is not available for this model: Unsupported operator Floor at node "floor_features"/);
  });
});
