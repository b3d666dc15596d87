/** The shareable HTML report of a kept run, written by the worker and offered as a download. */
import { create } from 'zustand';
import type { ReportLive } from '../report/input.ts';
import { studio } from '../worker/client.ts';
import { download } from './download.ts';
import { useExport } from './export.ts';
import { LIVE_WINDOW, useLive } from './live.ts';
import { useModel } from './model.ts';
import { loadCodes } from './persist.ts';
import { useResults } from './results.ts';
import { useRuns } from './runs.ts';

interface ReportState {
  /** The run whose report is being written. */
  writing: string | null;
  error: string | null;
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

export const useReport = create<ReportState>((set) => ({
  writing: null,
  error: null,
  async downloadHtml(runId) {
    const { runs, current } = useRuns.getState();
    const id = runId ?? current;
    const run = runs.find((r) => r.id === id);
    if (!run || !id) {
      set({ error: 'No kept run to report on: quantize first.' });
      return;
    }
    set({ writing: id, error: null });
    try {
      const sweep = useResults.getState().sweep.status;
      const { target, format } = useExport.getState();
      const status = await studio().htmlReport({
        run: { report: run.report, saved: await loadCodes(id), current: id === current, environment: run.environment },
        modelFiles: useModel.getState().files,
        sweep: sweep?.ok ? sweep : null,
        live: id === current ? liveFigures() : null,
        target,
        format: format ?? undefined,
      });
      if (!status.ok) throw new Error(status.message);
      download(status.fileName, status.html, 'text/html');
    } catch (error) {
      set({ error: `The report could not be written: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      set({ writing: null });
    }
  },
}));
