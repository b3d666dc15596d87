/** The report half of the studio API: the shareable HTML report of a run, and the environment runs record. */
import type { RunEnvironment } from '../export/report.ts';
import type { SerializedSource } from '../export/source.ts';
import type { ExportTarget, WeightFormat } from '../export/writer.ts';
import type { QuantizeReport } from '../quant/report.ts';
import type { ReportLive, ReportSweep } from '../report/input.ts';
import type { NamedFile } from './api.ts';

export interface HtmlReportRequest {
  run: {
    report: QuantizeReport;
    saved: SerializedSource | null;
    /** Whether the run is the one the worker holds (then its last export's checks are included). */
    current: boolean;
    /** Where the run happened, as recorded with it; null for runs saved before it was. */
    environment: RunEnvironment | null;
  };
  /** The project's model files (the .onnx, its external data, its configs), hashed into the report. */
  modelFiles: NamedFile[];
  sweep: ReportSweep | null;
  live: ReportLive | null;
  /** The export the report describes (the Export panel's choice). */
  target: ExportTarget;
  format?: WeightFormat;
}

export type HtmlReportStatus =
  | { ok: true; html: string; fileName: string }
  | { ok: false; message: string };

export interface ReportApi {
  htmlReport(request: HtmlReportRequest): Promise<HtmlReportStatus>;
  /** Where this studio runs (browser, adapter, versions): recorded with each run. */
  environment(): Promise<RunEnvironment>;
}
