/**
 * An exported model's activation quantizers, made differentiable: each QuantizeLinear →
 * DequantizeLinear pair on a computed value becomes the simulator's FakeQuantize node, which
 * computes the same values and whose backward pass is the straight-through estimator (the
 * gradient passes where the quantizer does not clamp). Weight quantizers read constants only and
 * fold away, so they need nothing.
 */
import type { Model, Node, Tensor } from '../onnx/ir.ts';
import { fakeQuantNode } from '../quant/simulation/fake-quant-op.ts';

function scalarOf(model: Model, name: string | undefined): Tensor | undefined {
  const t = name ? model.graph.initializers.get(name) : undefined;
  return t && t.data.length === 1 ? t : undefined;
}

/** The FakeQuantize equivalent of a per-tensor 8-bit pair, or null when the pair is not one. */
function fakeQuantFor(model: Model, q: Node, dq: Node): Node | null {
  const scale = scalarOf(model, q.inputs[1]);
  const zero = scalarOf(model, q.inputs[2]);
  if (!scale || (q.inputs[2] && !zero) || dq.inputs[1] !== q.inputs[1] || dq.inputs[2] !== q.inputs[2]) return null;
  const dtype = zero?.dtype ?? 'uint8';
  if (dtype !== 'uint8' && dtype !== 'int8') return null;
  // int8 with zero point z quantizes as uint8 with z + 128: the same grid, shifted codes.
  const zeroPoint = Number(zero?.data[0] ?? 0) + (dtype === 'int8' ? 128 : 0);
  return fakeQuantNode(`${q.name || q.outputs[0]}::fake_quantize`, q.inputs[0], dq.outputs[0], { scale: Number(scale.data[0]), zeroPoint, bits: 8 });
}

/** `model` with every activation QuantizeLinear → DequantizeLinear pair replaced; unchanged when it has none. */
export function withStraightThroughQuantizers(model: Model): Model {
  const readers = new Map<string, Node[]>();
  for (const n of model.graph.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const replaced = new Map<Node, Node | null>();
  for (const q of model.graph.nodes) {
    if (q.opType !== 'QuantizeLinear' || model.graph.initializers.has(q.inputs[0])) continue;
    const dqs = readers.get(q.outputs[0]) ?? [];
    if (dqs.length !== 1 || dqs[0].opType !== 'DequantizeLinear') continue;
    const fake = fakeQuantFor(model, q, dqs[0]);
    if (!fake) continue;
    replaced.set(q, fake);
    replaced.set(dqs[0], null);
  }
  if (replaced.size === 0) return model;
  const nodes = model.graph.nodes.flatMap((n) => (replaced.has(n) ? (replaced.get(n) ? [replaced.get(n)!] : []) : [n]));
  return { ...model, graph: { ...model.graph, nodes } };
}
