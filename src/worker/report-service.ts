import { sha256Hex } from '../export/source.ts';
import { renderReportHtml } from '../report/html.ts';
import { reportExportOf, type HashedFile, type ReportExport } from '../report/input.ts';
import { studioEnvironment, studioWriter } from './environment.ts';
import { readBytes } from './inputs.ts';
import type { HtmlReportStatus, ReportApi } from './report-api.ts';
import { currentModel, exportOfRun } from './run-export.ts';
import { errorMessage } from './state.ts';

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Worker side of ReportApi: hashes the files, exports the run again when needed, renders the page. */
export const reportService: ReportApi = {
  async htmlReport({ run, modelFiles, sweep, live, target, format }): Promise<HtmlReportStatus> {
    try {
      const { opened } = currentModel();
      const hashed: HashedFile[] = [];
      for (const f of modelFiles) {
        const bytes = await readBytes(f);
        hashed.push({ name: baseName(f.name), bytes: bytes.length, sha256: await sha256Hex(bytes) });
      }
      const notes: string[] = [];
      let exported: ReportExport | null = null;
      try {
        const file = await exportOfRun(run, target, format);
        exported = reportExportOf(file.report, file.fileName);
      } catch (error) {
        notes.push(`No exported file is described: ${errorMessage(error)}`);
      }
      const html = renderReportHtml({
        title: `DeFakeQ report: ${opened.fileName}`,
        created: new Date().toISOString(),
        quantization: run.report,
        modelFiles: hashed,
        export: exported,
        sweep,
        live,
        environment: run.environment,
        writtenBy: studioWriter(),
        notes,
      });
      const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
      return { ok: true, html, fileName: `${opened.fileName.replace(/\.onnx$/i, '')}_${run.report.settings.method}_${stamp}_report.html` };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },

  environment: studioEnvironment,
};
