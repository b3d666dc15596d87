import type { Node } from '../onnx/ir.ts';
import { opFor } from '../onnx/ops/index.ts';
import type { OpRegistry, RefTensor } from '../onnx/ops/types.ts';
import { attrInt } from '../onnx/ops/attrs.ts';
import { nodeKey, type ParameterSite, type Region } from './region.ts';
import { refOf } from './rule.ts';

/**
 * The float64 reference of a region's forward and backward passes: the ONNX reference semantics
 * forward, each op's `reference` backward, in the same order the GPU records them. A parameter
 * layer's weight W (N x K) enters its MatMul/Gemm as the constant it replaces, laid out as that
 * node stores it, so the product and its backward are the ops' own.
 */

/** Whether the node stores its weight N x K (Gemm with transB); otherwise K x N. */
const storedNxK = ({ node }: ParameterSite) => node.opType === 'Gemm' && attrInt({ node, opset: 0 }, 'transB', 0) === 1;

/** W (N x K) as the node reads its weight. */
function weightAsStored(site: ParameterSite, w: ArrayLike<number>): RefTensor {
  const { N, K } = site;
  if (storedNxK(site)) return refOf([N, K], Float64Array.from(w));
  const data = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) data[k * N + n] = w[n * K + k];
  return refOf([K, N], data);
}

/** The weight's gradient as stored, back to N x K. */
function weightGradient(site: ParameterSite, d: RefTensor): Float64Array {
  if (storedNxK(site)) return d.data;
  const { N, K } = site;
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = d.data[k * N + n];
  return out;
}

function checkWeights(region: Region, weights: ReadonlyMap<string, ArrayLike<number>>): void {
  for (const site of region.parameters.values()) {
    const w = weights.get(site.layer.name);
    if (!w) throw new Error(`region: no weight given for layer ${site.layer.name}`);
    if (w.length !== site.N * site.K) throw new Error(`region: layer ${site.layer.name} takes a ${site.N} x ${site.K} weight, got ${w.length} values`);
  }
}

function inputsOf(region: Region, node: Node, values: ReadonlyMap<string, RefTensor>, weights: ReadonlyMap<string, ArrayLike<number>>): (RefTensor | undefined)[] {
  const site = region.parameters.get(nodeKey(node));
  return node.inputs.map((name, i) => {
    if (!name) return undefined;
    if (site && i === 1) return weightAsStored(site, weights.get(site.layer.name)!);
    const v = values.get(name) ?? region.plan.constants.get(name);
    if (!v) throw new Error(`region: value "${name}" read by node "${node.name}" is not available`);
    return v;
  });
}

/** Every value of the region in float64, for the given inputs and parameter weights (N x K, by layer name). */
export function referenceForward(
  region: Region, ops: OpRegistry, feeds: Record<string, RefTensor>, weights: ReadonlyMap<string, ArrayLike<number>> = new Map(),
): Map<string, RefTensor> {
  checkWeights(region, weights);
  const values = new Map<string, RefTensor>();
  for (const { name, dims } of region.spec.inputs) {
    const feed = feeds[name];
    if (!feed) throw new Error(`region: input "${name}" was not fed`);
    const want = region.plan.shapes.get(name)?.dims ?? dims;
    if (feed.dims.join() !== want.join()) throw new Error(`region: input "${name}" has dims [${feed.dims.join(', ')}], expected [${want.join(', ')}]`);
    values.set(name, feed);
  }
  for (const node of region.nodes) {
    const outs = opFor(node, ops).evaluate(inputsOf(region, node, values, weights), { node, opset: region.plan.opset });
    node.outputs.forEach((name, i) => name && outs[i] && values.set(name, outs[i]));
  }
  return values;
}

export interface ReferenceGradients {
  /** Gradients of the `wrt` values (zero where no gradient reaches them). */
  values: Map<string, RefTensor>;
  /** Gradients of the parameter weights, N x K, by layer name. */
  parameters: Map<string, Float64Array>;
}

/** The backward pass from `seeds` (gradients of outputs or kept values), after referenceForward. */
export function referenceBackward(
  region: Region, values: ReadonlyMap<string, RefTensor>, seeds: ReadonlyMap<string, RefTensor>,
  weights: ReadonlyMap<string, ArrayLike<number>> = new Map(),
): ReferenceGradients {
  const grads = new Map<string, RefTensor>();
  const add = (name: string, g: RefTensor) => {
    const have = grads.get(name);
    if (!have) grads.set(name, refOf(g.dims, Float64Array.from(g.data)));
    else for (let i = 0; i < have.data.length; i++) have.data[i] += g.data[i];
  };
  for (const [name, g] of seeds) add(name, g);
  const parameters = new Map<string, Float64Array>();
  for (let b = region.backward.length - 1; b >= 0; b--) {
    const { node, wants, rule } = region.backward[b];
    const outGrads = node.outputs.map((o) => grads.get(o));
    if (outGrads.every((g) => !g)) continue;
    const site = region.parameters.get(nodeKey(node));
    const inputs = inputsOf(region, node, values, weights);
    const outputs = node.outputs.map((o) => values.get(o));
    const given = rule.reference({ node, opset: region.plan.opset, inputs, outputs, grads: outGrads, wants: site ? wants.map((w, i) => w || i === 1) : wants });
    given.forEach((g, i) => {
      if (!g || !node.inputs[i]) return;
      if (site && i === 1) parameters.set(site.layer.name, weightGradient(site, g));
      else if (wants[i]) add(node.inputs[i], g);
    });
  }
  for (const site of region.parameters.values()) if (!parameters.has(site.layer.name)) parameters.set(site.layer.name, new Float64Array(site.N * site.K));
  const out = new Map<string, RefTensor>();
  for (const name of region.spec.wrt ?? []) {
    const dims = region.plan.shapes.get(name)!.dims;
    out.set(name, grads.get(name) ?? refOf(dims, new Float64Array(dims.reduce((a, c) => a * c, 1))));
  }
  return { values: out, parameters };
}
