import { encodeModel } from '../onnx/encode.ts';
import { compactModel } from './compact.ts';
import { analyzeModel } from '../model/summary.ts';
import { elementCount, type Model } from '../onnx/ir.ts';
import { floatModelFor } from '../quant/simulation/half-floats.ts';
import { halfFloatInitializers } from './half-floats.ts';
import { restoredWeightName } from '../storage/cost.ts';
import type { ExportSource } from './source.ts';
import { writeQuantizedModel, type ExportOptions, type WrittenModel } from './writer.ts';

export interface ExportedFile {
  bytes: Uint8Array;
  written: WrittenModel;
  /** Float32 initializers stored as float16 (floatParams 'fp16'; none otherwise). */
  halved: string[];
}

/**
 * The quantized ONNX file of a saved quantization, its graph compacted (compact.ts), encoded whole
 * (or an ExportError, with nothing produced). With floatParams 'fp16' the float parameters are the
 * run's float16-rounded ones (rounding the original model again gives them: `model` may be either)
 * and are stored as float16.
 */
export function exportOnnx(model: Model, source: Pick<ExportSource, 'layers' | 'activations' | 'method' | 'settings' | 'restored'>, options: ExportOptions): ExportedFile {
  const half = source.settings.floatParams === 'fp16';
  const written = writeQuantizedModel({
    model: floatModelFor(model, source.settings.floatParams), layers: source.layers, activations: source.activations,
    restored: source.restored?.size ? { channels: source.restored, half: half } : undefined,
    metadata: { method: source.method, settings: source.settings },
  }, options);
  const halved = half ? halfFloatInitializers(written.model) : { model: written.model, halved: [] };
  const compact = compactModel(halved.model).model;
  // A layer's bytes count its bias and restored columns as stored: two bytes a value once float16.
  const halves = new Set(halved.halved);
  const byName = new Map(analyzeModel(model).layers.map((l) => [l.name, l]));
  const halvedValues = (name: string | undefined) => {
    const t = name && halves.has(name) ? written.model.graph.initializers.get(name) : undefined;
    return t ? elementCount(t.dims) : 0;
  };
  const layers = written.layers.map((l) => {
    const layer = byName.get(l.name);
    const saved = halvedValues(layer?.bias) + (layer ? halvedValues(restoredWeightName(layer.weight)) : 0);
    return saved ? { ...l, bytes: l.bytes - 2 * saved } : l;
  });
  return { bytes: encodeModel(compact), written: { ...written, layers, model: compact }, halved: halved.halved };
}
