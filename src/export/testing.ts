import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { paramsForRange, type QuantParams } from '../quant/quantizer.ts';
import { weightParams, type SimulationPlan } from '../quant/simulate.ts';
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
