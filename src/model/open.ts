import type { ByteSource } from '../onnx/byte-source.ts';
import { decodeModel } from '../onnx/decode.ts';
import { decodeModelSource } from '../onnx/decode-source.ts';
import type { Model } from '../onnx/ir.ts';
import { opFor } from '../onnx/ops/index.ts';
import { validateModel } from '../onnx/validate.ts';
import { modelReport, type ModelReport } from './report.ts';
import { analyzeModel, type ModelStructure } from './summary.ts';

export interface OpenedModel {
  fileName: string;
  model: Model;
  structure: ModelStructure;
  report: ModelReport;
}

/** Decode, validate and analyse a model file (the CLI's checks, the CLI's messages); every problem is one clear error that names the file. */
export function openModel(bytes: Uint8Array, fileName: string, externalData?: (location: string) => Uint8Array | undefined): OpenedModel {
  const model = decodeModel(bytes, { fileName, externalData });
  validateModel(model, fileName);
  const structure = analyzeModel(model);
  return { fileName, model, structure, report: modelReport(model, structure) };
}

/**
 * The same from a file read as it is needed: only the structure now, each large tensor when it is
 * used (and an external data file given as a source likewise).
 */
export function openModelSource(source: ByteSource, externalData?: (location: string) => Uint8Array | ByteSource | undefined): OpenedModel {
  const model = decodeModelSource(source, { externalData });
  validateModel(model, source.name);
  const structure = analyzeModel(model);
  return { fileName: source.name, model, structure, report: modelReport(model, structure) };
}

/** Throws UnsupportedOpError for the first node whose op we cannot execute. */
export function assertSupported(model: Model): void {
  for (const node of model.graph.nodes) opFor(node);
}
