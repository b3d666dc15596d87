import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { paramsForRange, type QuantParams } from '../quant/simulation/quantizer.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { simulatedModel, weightParams, type SimulationPlan } from '../quant/simulation/simulate.ts';
import { layerCodes, type LayerCodes } from './codes.ts';

/**
 * A quantization made without the GPU pipeline, for tests: nearest rounding at the given widths
 * (cycled over the layers), activation ranges from one reference run. Layers listed in `learned`
 * get a weight off nearest rounding (one code moved per channel, still on the grid), like AdaRound's.
 */
export function syntheticQuantization(model: Model, input: Float64Array, dims: number[], widths: number[], actBits: number | null, learned = true): {
  plan: SimulationPlan; codes: LayerCodes[]; activations: Map<string, QuantParams>;
} {
  const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
  const plan: SimulationPlan = { layers: new Map() };
  layers.forEach((l, i) => {
    const bits = widths[i % widths.length];
    const weight = model.graph.initializers.get(l.weight)!;
    if (!learned) {
      plan.layers.set(l.name, { bits, range: 'minmax' });
      return;
    }
    const nearest = layerCodes(l, weight, { bits, range: 'minmax' }, 'minmax');
    const params = weightParams(l, weight, bits, 'minmax');
    const moved = Float32Array.from(weight.data as Float32Array);
    // Nudge code k = n of each channel up one level when it can be, then write W~ from the codes.
    for (let n = 0; n < nearest.N; n++) {
      const k = n % nearest.K;
      const at = n * nearest.K + k;
      if (nearest.codes[at] < 2 ** bits - 1) nearest.codes[at]++;
    }
    for (let n = 0; n < nearest.N; n++) {
      const p = params[n];
      for (let k = 0; k < nearest.K; k++) {
        const idx = l.layout === 'KxN' ? k * nearest.N + n : n * nearest.K + k;
        moved[idx] = Math.fround(p.scale * (nearest.codes[n * nearest.K + k] - p.zeroPoint));
      }
    }
    plan.layers.set(l.name, { bits, weight: moved });
  });
  const activations = new Map<string, QuantParams>();
  if (actBits !== null) {
    const name = model.graph.inputs[0].name;
    const { taps } = runReference(model, { [name]: { dtype: 'float32', dims, data: input } }, { taps: layers.map((l) => l.input) });
    for (const l of layers) {
      const t = taps.get(l.input)!;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of t.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      activations.set(l.input, paramsForRange(lo * 0.9, hi * 0.9, actBits)); // clipped a little, so saturation is exercised
    }
    plan.activations = activations;
  }
  const codes = layers.map((l) => layerCodes(l, model.graph.initializers.get(l.weight)!, plan.layers.get(l.name)!, 'minmax'));
  return { plan, codes, activations };
}

/**
 * A synthetic quantization of `model` (widths 2, 3, 4, 6, 8; 8-bit activations unless told) on `pixels`, the
 * simulated model it makes, and that model's float64 logits: flat, and one row per image.
 */
export function simulatedFixture(model: Model, pixels: Float32Array, dims: number[], actBits: number | null = 8): {
  q: ReturnType<typeof syntheticQuantization>; simulated: Model; reference: Float64Array; rows: number[][];
} {
  const q = syntheticQuantization(model, Float64Array.from(pixels), dims, [2, 3, 4, 6, 8], actBits);
  const layers = analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
  const simulated = simulatedModel(model, layers, q.plan);
  const input = { [model.graph.inputs[0].name]: { dtype: 'float32' as const, dims, data: Float64Array.from(pixels) } };
  const reference = runReference(simulated, input, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs[model.graph.outputs[0].name].data as Float64Array;
  const classes = reference.length / dims[0];
  const rows = Array.from({ length: dims[0] }, (_, i) => Array.from(reference.subarray(i * classes, (i + 1) * classes)));
  return { q, simulated, reference, rows };
}
