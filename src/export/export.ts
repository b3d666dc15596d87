import { encodeModel } from '../onnx/encode.ts';
import { compactModel } from './compact.ts';
import type { Model } from '../onnx/ir.ts';
import type { ExportSource } from './source.ts';
import { writeQuantizedModel, type ExportOptions, type RestoredChannels, type WrittenModel } from './writer.ts';

export interface ExportedFile {
  bytes: Uint8Array;
  written: WrittenModel;
}

/** The quantized ONNX file of a saved quantization, its graph compacted (compact.ts), encoded whole (or an ExportError, with nothing produced). */
export function exportOnnx(model: Model, source: Pick<ExportSource, 'layers' | 'activations' | 'method' | 'settings'>, options: ExportOptions, restored?: ReadonlyMap<string, RestoredChannels>): ExportedFile {
  const written = writeQuantizedModel({
    model, layers: source.layers, activations: source.activations, restored,
    metadata: { method: source.method, settings: source.settings },
  }, options);
  const compact = compactModel(written.model).model;
  return { bytes: encodeModel(compact), written: { ...written, model: compact } };
}
