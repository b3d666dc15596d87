import { analyzeModel } from '../model/summary.ts';
import { elementCount, type Model } from '../onnx/ir.ts';
import { floatModelFor } from '../quant/simulation/half-floats.ts';
import type { QuantizeReport, QuantizeResult } from '../quant/report.ts';
import { simulatedModel, type SimulationPlan } from '../quant/simulation/simulate.ts';
import { reportedRange } from '../quant/allocation/weight-ranges.ts';
import { dequantizedWeight } from './codes.ts';
import { ExportError } from './errors.ts';
import type { ExportSource } from './source.ts';

/**
 * A quantization run rebuilt from its saved codes: the same plan (fake-quantized weights, activation
 * parameters) and simulated model as when it finished, so a reopened project can show and export it
 * without quantizing again. Float parameters rounded to float16 by the run are rounded again
 * from `model` (the FP model), the same way.
 */
export function restoreResult(input: Model, source: ExportSource, report: QuantizeReport): QuantizeResult {
  if (source.settings.actReparam) {
    // The codes belong to the rescaled LayerNorms and weights, which are not saved.
    throw new ExportError('a run with reparameterised LayerNorms cannot be rebuilt from its codes; quantize again');
  }
  const model = floatModelFor(input, source.settings.floatParams);
  const layers = analyzeModel(model).layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const plan: SimulationPlan = {
    layers: new Map(), activations: new Map(source.activations),
    ...(source.restored?.size ? { restored: { channels: new Map(source.restored), half: source.settings.floatParams === 'fp16' } } : {}),
  };
  for (const codes of source.layers) {
    const layer = byName.get(codes.name);
    const weight = layer && model.graph.initializers.get(layer.weight);
    if (!layer || !weight || elementCount(weight.dims) !== codes.N * codes.K) {
      throw new ExportError(`the saved codes of layer ${codes.name} do not fit this model`, [codes.name]);
    }
    plan.layers.set(codes.name, { bits: codes.bits, range: reportedRange({ settings: source.settings, layers: report.layers }, codes.name), weight: dequantizedWeight(layer, weight.dims, codes) });
  }
  const quantized = layers.filter((l) => plan.layers.has(l.name));
  return { report, model, plan, simulated: simulatedModel(model, quantized, plan) };
}
