/** Test helpers: a fixture's block as a region, with its real input from a float64 run of the model. */
import { runReference } from '../engine/cpu/executor.ts';
import type { QuantLayer } from '../model/layers.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import type { RefTensor } from '../onnx/ops/types.ts';
import { blockBoundary } from './blocks.ts';
import type { RegionSpec } from './region.ts';

/** A layer's float weight as the N x K matrix a region's parameter takes. */
export function weightNxK(model: Model, layer: QuantLayer): Float64Array {
  const w = model.graph.initializers.get(layer.weight)!.data as Float32Array;
  const { outFeatures: N, inFeatures: K } = layer;
  if (layer.layout !== 'KxN') return Float64Array.from(w);
  const out = new Float64Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[n * K + k] = w[k * N + n];
  return out;
}

export interface FixtureBlock {
  spec: RegionSpec;
  layers: QuantLayer[];
  /** The block's input as the float model computes it on `pixels`. */
  input: RefTensor;
  weights: Map<string, Float64Array>;
}

export function fixtureBlock(model: Model, block: string, pixels: { data: ArrayLike<number>; dims: number[] }): FixtureBlock {
  const structure = analyzeModel(model);
  const names = structure.blocks.find((b) => b.name === block)?.layers ?? [];
  const layers = structure.layers.filter((l) => names.includes(l.name));
  const { inputs, outputs } = blockBoundary(model, block);
  const feed = { [model.graph.inputs[0].name]: { dtype: 'float32' as const, dims: pixels.dims, data: Float64Array.from(pixels.data) } };
  const input = runReference(model, feed, { taps: inputs }).taps.get(inputs[0])!;
  return {
    spec: { inputs: [{ name: inputs[0], dims: input.dims }], outputs, parameters: layers, wrt: [inputs[0]] },
    layers, input, weights: new Map(layers.map((l) => [l.name, weightNxK(model, l)])),
  };
}
