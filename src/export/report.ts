import type { QuantizeReport } from '../quant/report.ts';
import type { ExportSource } from './source.ts';
import type { Verification } from './verify.ts';
import type { WrittenModel } from './writer.ts';

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
  size: { fpBytes: number; exportedBytes: number; ratio: number };
  layers: (WrittenModel['layers'][number] & { op?: string; score?: number; sqnr?: number | null; reconstructed?: boolean })[];
  floatLayers: string[];
  verification: Verification[];
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
