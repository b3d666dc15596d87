import type { QuantLayer } from '../model/layers.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';

/** The layers the pipeline quantizes: every layer analyzeModel finds whose weight is a constant. */
export function quantizableLayers(model: Model): QuantLayer[] {
  return analyzeModel(model).layers.filter((l) => model.graph.initializers.has(l.weight));
}
