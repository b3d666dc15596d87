/** The export half of the studio API: writing, verifying and bundling the low-bit ONNX. */
import type { ExportReport } from '../export/report.ts';
import type { ExportTarget, WeightFormat } from '../export/writer.ts';

export interface FileInput {
  name: string;
  bytes: Uint8Array;
}

export interface ExportRequest {
  target: ExportTarget;
  /** Default: the target's own (see TARGET_FORMAT). */
  format?: WeightFormat;
  /** Images to verify the file on (a labelled set, with real/ and fake/ in their paths, also gives AUC); none skips verification. */
  images: FileInput[];
}

export type ExportStatus =
  | {
      ok: true;
      report: ExportReport;
      /** The low-bit ONNX file, quant_report.json and the transformers.js bundle zip, ready to download. */
      files: { onnx: Uint8Array; report: Uint8Array; zip: Uint8Array; baseName: string };
    }
  | { ok: false; message: string; layers: string[] };

export interface ExportApi {
  /** Export the last quantization of the open model, then run it in onnxruntime-web (wasm and WebGPU) against the simulation. */
  exportModel(request: ExportRequest): Promise<ExportStatus>;
}
