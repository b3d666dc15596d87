import { elementCount, type Model, type Node, type Tensor } from '../../onnx/ir.ts';
import type { QuantLayer } from '../../model/layers.ts';
import { fakeQuantNode } from './fake-quant-op.ts';
import { dequantizeWeightNode, dequantizeWeightReference } from './dequantize-weight-op.ts';
import { tensorToRef } from '../../onnx/ops/ref-tensor.ts';
import { weightCodes } from './weight-codes.ts';
import type { QuantParams } from './quantizer.ts';
import { fakeQuantWeight, weightParams, type LayerQuantization } from './weight-params.ts';
import { addRestoredBranch, restoredColumns, zeroRestoredColumns, type RestoredPlan } from './restored.ts';

export { channelsOf, fakeQuantWeight, weightParams, type LayerQuantization, type WeightRange } from './weight-params.ts';

/**
 * The simulated quantized model: every quantized layer's weight replaced by its fake-quantized
 * values, and a FakeQuantize node in front of every quantized layer's input. It runs on the same
 * engine as the original, so evaluation, SQNR and attention maps all come from one executor.
 */

export interface SimulationPlan {
  layers: Map<string, LayerQuantization>;
  /** Per-tensor parameters for the inputs of quantized layers, keyed by tensor name; absent = FP activations. */
  activations?: Map<string, QuantParams>;
  /** Input channels kept in float (VEFT, restored.ts), by activation tensor; none when absent. */
  restored?: RestoredPlan;
}

export function simulatedModel(model: Model, layers: readonly QuantLayer[], plan: SimulationPlan): Model {
  const initializers = new Map(model.graph.initializers);
  const replaced = new Map<string, string>(); // layer input → fake-quantized name
  const dequantized = new Map<string, string>(); // quantized weight → its dequantized value
  const activationOf = new Map<Node, string>(); // layer node → its fake-quantized input
  const inserted: Node[] = [];
  const branches: { layer: QuantLayer; channels: readonly number[] }[] = [];
  for (const layer of layers) {
    const q = plan.layers.get(layer.name);
    if (!q) continue;
    const weight = model.graph.initializers.get(layer.weight);
    if (!weight) throw new Error(`layer ${layer.name}: its weight ${layer.weight} is not an initializer`);
    if (q.weight && q.weight.length !== elementCount(weight.dims)) throw new Error(`layer ${layer.name}: quantized weight has ${q.weight.length} values, not ${elementCount(weight.dims)}`);
    const restored = plan.restored?.channels.get(layer.input) ?? [];
    const zeroed = () => zeroRestoredColumns(layer, q.weight ?? fakeQuantWeight(layer, weight, weightParams(layer, weight, q.bits, q.range)), restored);
    // A restored column's codes are its zero point (as the export writes them), so it dequantizes to 0.
    const codes = restored.length === 0 ? weightCodes(layer, weight, q) : weightCodes(layer, weight, { ...q, weight: zeroed() });
    if (codes) {
      const [c, s, z] = [codes.codes, codes.scales, codes.zeroPoints];
      for (const t of [c, s, z]) initializers.set(t.name, t);
      const name = `${layer.weight}::dequantized`;
      inserted.push(dequantizeWeightNode(`${layer.name}/weight_dequantize`, [c.name, s.name, z.name], name, codes));
      dequantized.set(layer.weight, name);
    } else {
      // Learned values off their grid (a reconstructor that does not round), or a zero point
      // outside the codes: kept as floats.
      initializers.set(layer.weight, { name: weight.name, dims: weight.dims, dtype: 'float32', data: zeroed() });
    }
    if (restored.length > 0) branches.push({ layer, channels: restored });

    const act = plan.activations?.get(layer.input);
    if (!act) continue;
    let fq = replaced.get(layer.input);
    if (!fq) {
      fq = `${layer.input}::fake_quant`;
      replaced.set(layer.input, fq);
      inserted.push(fakeQuantNode(`${layer.name}/input_fake_quant`, layer.input, fq, act));
    }
    activationOf.set(layer.node, fq);
  }
  // Every reader of a quantized weight reads it dequantized; a layer reads its input fake-quantized.
  const rewire = (n: Node): Node => {
    const act = activationOf.get(n);
    const inputs = n.inputs.map((x, i) => (i === 0 && act ? act : dequantized.get(x) ?? x));
    return inputs.every((x, i) => x === n.inputs[i]) ? n : { ...n, inputs };
  };
  // Inserted nodes go first: the executor sorts topologically (and runs each weight's just before its layer).
  const nodes = [...inserted, ...model.graph.nodes.map(rewire)];
  const simulated = { ...model, graph: { ...model.graph, nodes, initializers } };
  return branches.reduce((m, b) => withRestoredBranch(m, b.layer, model.graph.initializers.get(b.layer.weight)!, b.channels, plan.restored!.half), simulated);
}

/** Adds a layer's restored branch (restored.ts) to the simulated model. */
function withRestoredBranch(model: Model, layer: QuantLayer, weight: Tensor, channels: readonly number[], half: boolean): Model {
  const { graph } = model;
  const branch = addRestoredBranch(graph.nodes, graph.outputs.map((o) => o.name), layer, restoredColumns(layer, weight, channels, half), channels);
  const initializers = new Map(graph.initializers);
  for (const t of branch.tensors) initializers.set(t.name, t);
  return { ...model, graph: { ...graph, nodes: branch.nodes, initializers } };
}

/**
 * The weight a simulated model computes layer `layer` with, in its stored layout: rebuilt from its
 * codes (what the GPU does each run), or the float values it holds; the float weight when the layer
 * is not quantized.
 */
export function simulatedWeight(simulated: Model, layer: QuantLayer): Float32Array {
  const name = `${layer.weight}::dequantized`;
  const node = simulated.graph.nodes.find((n) => n.outputs[0] === name);
  const init = simulated.graph.initializers;
  if (!node) return init.get(layer.weight)!.data as Float32Array;
  const [codes, scales, zeros] = node.inputs.map((i) => tensorToRef(init.get(i)!));
  return Float32Array.from(dequantizeWeightReference[`${node.domain}:${node.opType}`]!.evaluate([codes, scales, zeros], { node, opset: 1 })[0]!.data);
}
