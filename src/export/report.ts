import type { AdapterSummary } from '../gpu/device.ts';
import type { QuantizeReport } from '../quant/report.ts';
import type { ExportSource } from './source.ts';
import type { Verification } from './verify.ts';
import type { WrittenModel } from './writer.ts';

/** Where a run or an export happened, for the reports that travel without it. */
export interface RunEnvironment {
  /** The browser's user agent, or "Node v20.19.0 on linux x64". */
  runtime: string;
  /** The WebGPU adapter the quantization ran on, when known. */
  adapter: AdapterSummary | null;
  /** Versions of what computed it, by package: the studio, onnxruntime-web, Dawn (webgpu), … */
  versions: Record<string, string>;
}

/** quant_report.json: the run's report, what the file holds per layer, its size, and its verification. */
export interface ExportReport {
  tool: 'defakeq-studio';
  model: ExportSource['model'];
  target: WrittenModel['target'];
  weightFormat: WrittenModel['format'];
  activations: string;
  method: string;
  /** The quantization run's own report (avgBits, modelBytes, layers, settings, timings, evaluation), when known. */
  quantization: QuantizeReport | null;
  /** `sha256`: the exported file's hash, set by whoever wrote the file (hashing is asynchronous). */
  size: { fpBytes: number; exportedBytes: number; ratio: number; sha256?: string };
  layers: (WrittenModel['layers'][number] & { op?: string; score?: number; sqnr?: number | null; reconstructed?: boolean })[];
  floatLayers: string[];
  verification: Verification[];
  /** Where the export was made (absent in reports from before it was recorded). */
  environment?: RunEnvironment;
}

export function exportReport(source: ExportSource, written: WrittenModel, exportedBytes: number, quantization: QuantizeReport | null, verification: Verification[] = []): ExportReport {
  const byName = new Map(quantization?.layers.map((l) => [l.name, l]) ?? []);
  return {
    tool: 'defakeq-studio',
    model: source.model,
    target: written.target,
    weightFormat: written.format,
    activations: written.activations,
    method: source.method,
    quantization,
    size: { fpBytes: source.model.bytes, exportedBytes, ratio: exportedBytes / source.model.bytes },
    layers: written.layers.map((l) => {
      const q = byName.get(l.name);
      return { ...l, ...(q ? { op: q.op, score: q.score, sqnr: q.sqnr, reconstructed: q.reconstructed } : {}) };
    }),
    floatLayers: written.floatLayers,
    verification,
  };
}
