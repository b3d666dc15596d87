import type { Model } from '../onnx/ir.ts';
import { tensorBytes } from './writer.ts';

/** Where an exported file's bytes go: weight codes, their scales and zero points, other float tensors, and the rest (graph, names, metadata). */
export interface SizeBreakdown {
  total: number;
  codes: number;
  scales: number;
  floats: number;
  graph: number;
}

export function sizeBreakdown(model: Model, fileBytes: number): SizeBreakdown {
  let codes = 0;
  let scales = 0;
  let floats = 0;
  for (const [name, t] of model.graph.initializers) {
    const bytes = tensorBytes(t);
    if (name.endsWith('_quantized')) codes += bytes;
    else if (name.endsWith('_scale') || name.endsWith('_zero_point')) scales += bytes;
    else floats += bytes;
  }
  return { total: fileBytes, codes, scales, floats, graph: fileBytes - codes - scales - floats };
}
