/** The shareable HTML report of a kept run, written by the worker and offered as a download. */
import { create } from 'zustand';
import type { ReportLive } from '../report/input.ts';
import { studio } from '../worker/client.ts';
import type { HtmlReportRequest } from '../worker/report-api.ts';
import { download } from './download.ts';
import { useExport } from './export.ts';
import { LIVE_WINDOW, useLive } from './live.ts';
import { useModel } from './model.ts';
import { useQuantize } from './quantize.ts';
import { loadCodes } from './persist.ts';
import { useResults } from './results.ts';
import { useRuns } from './runs.ts';

interface ReportState {
  /** The run whose report is being written. */
  writing: string | null;
  /** Why the last report failed, and from where it was asked ('current': the Export panel, else a run's id). */
  failed: { key: string; message: string } | null;
  /** Writes the report of a kept run (default: the current one) and downloads it. */
  downloadHtml(runId?: string): Promise<void>;
}

/** The live check's last figures, when it ran on this run's export. */
function liveFigures(): ReportLive | null {
  const { last, runtime } = useLive.getState();
  if (!last || !runtime) return null;
  return {
    runtime: `${runtime}, ms per frame as the mean of the last ${Math.min(last.frames, LIVE_WINDOW)} frames`,
    frames: last.frames,
    fp: { score: last.fp.score, msPerFrame: last.fp.meanMs },
    quantized: { score: last.quantized.score, msPerFrame: last.quantized.meanMs },
  };
}

/** The run to report on: a kept one, or (by default) the current result even when its run was deleted from the list. */
async function runToReport(runId: string | undefined): Promise<HtmlReportRequest['run'] | null> {
  const { runs, current } = useRuns.getState();
  const kept = runs.find((r) => r.id === (runId ?? current));
  if (kept) return { report: kept.report, saved: await loadCodes(kept.id), current: kept.id === current, environment: kept.environment };
  const result = useQuantize.getState().result;
  if (runId !== undefined || !result?.ok) return null;
  return { report: result.report, saved: result.saved ?? null, current: true, environment: null };
}

export const useReport = create<ReportState>((set) => ({
  writing: null,
  failed: null,
  async downloadHtml(runId) {
    const key = runId ?? 'current';
    set({ writing: key, failed: null });
    try {
      const run = await runToReport(runId);
      if (!run) throw new Error('there is no run to report on: quantize first');
      const sweep = useResults.getState().sweep.status;
      const { target, format } = useExport.getState();
      const status = await studio().htmlReport({
        run,
        modelFiles: useModel.getState().files,
        sweep: sweep?.ok ? sweep : null,
        live: run.current ? liveFigures() : null,
        target,
        format: format ?? undefined,
      });
      if (!status.ok) throw new Error(status.message);
      download(status.fileName, status.html, 'text/html');
    } catch (error) {
      set({ failed: { key, message: `The report could not be written: ${error instanceof Error ? error.message : String(error)}` } });
    } finally {
      set({ writing: null });
    }
  },
}));
