/** What the HTML report is made from: one quantization run, with what is known around it. */
import type { AucDifference } from '../data/metrics.ts';
import type { ExportReport, RunEnvironment } from '../export/report.ts';
import type { Verification } from '../export/verify.ts';
import type { QuantizeReport } from '../quant/report.ts';
import type { Method } from '../quant/settings.ts';

export type { RunEnvironment };

/** A file the report vouches for by its hash. */
export interface HashedFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** The exported low-bit file and how it ran in onnxruntime. */
export interface ReportExport {
  file: HashedFile;
  target: ExportReport['target'];
  weightFormat: ExportReport['weightFormat'];
  activations: string;
  fpBytes: number;
  /** Runs in onnxruntime against the studio's simulation; empty when the file was not verified. */
  verification: Verification[];
}

/** The size/accuracy sweep, shaped like the studio's (structurally: any sweep result with these fields fits). */
export interface ReportSweep {
  fp: { auc: number; accuracy: number; bytes: number; images: number };
  points: {
    method: Method;
    budget: number;
    result: { avgBits: number; modelBytes: number; auc: number; accuracy: number; agreement: number; aucChange?: AucDifference | null; versusAdaRound?: AucDifference | null } | null;
    message?: string;
  }[];
  cancelled: boolean;
}

/** The live check's last figures: fake score and ms per frame of each model. */
export interface ReportLive {
  runtime: string;
  frames: number;
  fp: { score: number; msPerFrame: number };
  quantized: { score: number; msPerFrame: number };
}

export interface ReportInput {
  title: string;
  /** When the report was written (ISO 8601). */
  created: string;
  quantization: QuantizeReport;
  /** The FP model's files (the .onnx first, then its external data and configs), hashed. */
  modelFiles: HashedFile[];
  export: ReportExport | null;
  sweep: ReportSweep | null;
  live?: ReportLive | null;
  /** Where the run happened, when it was recorded. */
  environment: RunEnvironment | null;
  /** What wrote this file ("DeFakeQ Studio 0.1.0 in the browser", "the CLI on Node v20"). */
  writtenBy: string;
  /** What the report could not include, and why (shown at the top). */
  notes?: string[];
}

/** The export part of a report from quant_report.json and the exported file's name. */
export function reportExportOf(report: ExportReport, fileName: string): ReportExport | null {
  if (!report.size.sha256) return null;
  return {
    file: { name: fileName, bytes: report.size.exportedBytes, sha256: report.size.sha256 },
    target: report.target,
    weightFormat: report.weightFormat,
    activations: report.activations,
    fpBytes: report.size.fpBytes,
    verification: report.verification,
  };
}
