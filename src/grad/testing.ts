/** Helpers for gradient tests: one-node models, seeded losses, and central differences in float64. */
import { randomFloats } from '../gpu/testing.ts';
import type { AttrValue, Model, Node, Tensor } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import type { OpRegistry, RefTensor } from '../onnx/ops/types.ts';
import { buildModel } from '../onnx/testing.ts';
import { backwardRules } from './ops/index.ts';
import { referenceBackward, referenceForward } from './reference.ts';
import { buildRegion, type Region, type RegionSpec } from './region.ts';
import { refOf } from './rule.ts';

export function randomRef(dims: number[], seed: number, map: (v: number) => number = (v) => v): RefTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return refOf(dims, Float64Array.from(randomFloats(n, seed), map));
}

/** An input of a one-node test model: a runtime value (differentiated) or a constant (shapes, axes, indices, weights). */
export type TestInput = { value: RefTensor; constant?: false } | { value: RefTensor; constant: true; dtype?: Tensor['dtype'] };

/** A model of one node; runtime inputs are graph inputs x0, x1, ...; constants are initializers c0, c1, .... */
export function oneNodeModel(
  opType: string, inputs: (TestInput | null)[], attrs: Record<string, AttrValue> = {}, outputs = 1, opset = 17,
): { model: Model; node: Node; spec: RegionSpec } {
  const names = inputs.map((x, i) => (!x ? '' : x.constant ? `c${i}` : `x${i}`));
  const node: Node = { name: `test_${opType}`, opType, domain: '', inputs: names, outputs: Array.from({ length: outputs }, (_, j) => `y${j}`), attrs };
  const initializers: Tensor[] = [];
  const graphInputs: RegionSpec['inputs'] = [];
  inputs.forEach((x, i) => {
    if (!x) return;
    if (x.constant) {
      const dtype = x.dtype ?? 'float32';
      const data = dtype === 'float32' ? Float32Array.from(x.value.data) : Float64Array.from(x.value.data);
      initializers.push({ name: names[i], dtype, dims: x.value.dims, data });
    } else graphInputs.push({ name: names[i], dims: x.value.dims });
  });
  const model = buildModel({
    nodes: [node], initializers, opset,
    inputs: graphInputs.map(({ name, dims }) => ({ name, dtype: 'float32', shape: dims })),
    outputs: node.outputs.map((name) => ({ name, dtype: 'float32', shape: null })),
  });
  return { model, node, spec: { inputs: graphInputs, outputs: node.outputs, wrt: graphInputs.map((i) => i.name) } };
}

/** Σ w·y over the seeded outputs: the scalar the central differences differentiate. */
export function seededLoss(values: ReadonlyMap<string, RefTensor>, seeds: ReadonlyMap<string, RefTensor>): number {
  let sum = 0;
  for (const [name, w] of seeds) {
    const y = values.get(name)!;
    for (let i = 0; i < w.data.length; i++) sum += w.data[i] * y.data[i];
  }
  return sum;
}

export function randomSeeds(region: Region, seed: number): Map<string, RefTensor> {
  return new Map(region.spec.outputs.map((name, j) => [name, randomRef(region.plan.shapes.get(name)!.dims, seed + 7 * j)]));
}

export interface GradientCheck {
  /** max |analytic − numeric| / max(1, |numeric|) over the checks. */
  worst: number;
  checked: number;
  /** Checks with a numeric derivative above 1e-6 (a test of nothing but zeros proves nothing). */
  nonZero: number;
}

/**
 * The analytic gradients of Σ w·y (w random) for the region's wrt values and parameters, against
 * central differences of the float64 forward: at `coordinates` spread over each variable (all when
 * omitted), and along `directions` random directions of each (which check every component at once).
 */
export function checkRegionGradients(
  region: Region, feeds: Record<string, RefTensor>, options: {
    ops?: OpRegistry; weights?: Map<string, Float64Array>; seed?: number; step?: number; coordinates?: number; directions?: number;
  } = {},
): GradientCheck {
  const ops = options.ops ?? onnxOps;
  const weights = options.weights ?? new Map<string, Float64Array>();
  const values = referenceForward(region, ops, feeds, weights);
  const seeds = randomSeeds(region, options.seed ?? 11);
  const analytic = referenceBackward(region, values, seeds, weights);
  const loss = (f: Record<string, RefTensor>, w: Map<string, Float64Array>) => seededLoss(referenceForward(region, ops, f, w), seeds);
  const h = options.step ?? 1e-6;
  const result: GradientCheck = { worst: 0, checked: 0, nonZero: 0 };
  const record = (analyticValue: number, numeric: number) => {
    result.worst = Math.max(result.worst, Math.abs(analyticValue - numeric) / Math.max(1, Math.abs(numeric)));
    result.checked++;
    if (Math.abs(numeric) > 1e-6) result.nonZero++;
  };
  const probe = (data: Float64Array, grad: ArrayLike<number>, evaluate: () => number, salt: number) => {
    const original = Float64Array.from(data);
    const along = (d: ArrayLike<number>) => {
      data.forEach((_, i) => (data[i] = original[i] + h * d[i]));
      const up = evaluate();
      data.forEach((_, i) => (data[i] = original[i] - h * d[i]));
      const down = evaluate();
      data.set(original);
      return (up - down) / (2 * h);
    };
    const count = Math.min(data.length, options.coordinates ?? data.length);
    for (let c = 0; c < count; c++) {
      const i = Math.floor(((c + 0.5) * data.length) / count);
      const d = new Float64Array(data.length);
      d[i] = 1;
      record(grad[i], along(d));
    }
    for (let k = 0; k < (options.directions ?? 0); k++) {
      const d = randomFloats(data.length, salt + 101 * k);
      record(d.reduce((s, di, i) => s + di * grad[i], 0), along(d));
    }
  };
  let salt = options.seed ?? 11;
  for (const name of region.spec.wrt ?? []) {
    if (!feeds[name]) continue;
    const data = Float64Array.from(feeds[name].data);
    const fed = { ...feeds, [name]: refOf(feeds[name].dims, data) };
    probe(data, analytic.values.get(name)!.data, () => loss(fed, weights), salt++);
  }
  for (const [layer, w] of weights) {
    const data = Float64Array.from(w);
    const changed = new Map(weights).set(layer, data);
    probe(data, analytic.parameters.get(layer)!, () => loss(feeds, changed), salt++);
  }
  return result;
}

/** max |got − want| / max |want|. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`${got.length} values, expected ${want.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  if (!(scale > 0)) throw new Error('the reference is all zeros: the comparison would prove nothing');
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

export function regionFor(model: Model, spec: RegionSpec, ops: OpRegistry = onnxOps): Region {
  return buildRegion(model, spec, ops, backwardRules);
}
