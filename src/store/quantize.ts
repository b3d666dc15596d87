import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { ProgressEvent, StageName, VeftLossPoint } from '../quant/report.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../quant/settings.ts';
import type { QuantizeStatus, RunEstimate } from '../worker/api.ts';
import { studio } from '../worker/client.ts';
import { dataReady, useData } from './data.ts';

/** Lighter than the CLI's defaults, so a run in the browser finishes in minutes. */
export const STUDIO_SETTINGS: QuantizeSettings = { ...DEFAULT_SETTINGS, iters: 100, reconImages: 16, veftEpochs: 30, storage: 'export', exportFormat: 'auto' };

/** A run estimated to take longer than this asks before it starts. */
export const LONG_RUN_SECONDS = 15 * 60;

interface QuantizeState {
  settings: QuantizeSettings;
  /** A long run waiting for the user to confirm it, with its estimate. */
  pending: RunEstimate | null;
  running: boolean;
  cancelling: boolean;
  progress: Partial<Record<StageName, ProgressEvent>>;
  /** The VEFT loss points streamed by the current (or last) run, in order. */
  lossCurve: VeftLossPoint[];
  result: QuantizeStatus | null;
  /** Why the settings cannot work for the open model (checked before a run), or null. */
  settingsProblem: string | null;
  /** Checks the settings against the open model; the answer lands in settingsProblem. */
  checkSettings(): Promise<void>;
  update(patch: Partial<QuantizeSettings>): void;
  /**
   * Quantizes the open model with the calibration (and evaluation) images of the data store; a run
   * estimated at more than LONG_RUN_SECONDS waits in `pending` for confirm() instead.
   */
  run(): Promise<void>;
  /** Starts the pending long run, or (false) drops it. */
  confirm(start: boolean): Promise<void>;
  cancel(): void;
  /** Forgets the last run (a new model was opened). */
  reset(): void;
}

export const useQuantize = create<QuantizeState>((set, get) => {
  async function start(): Promise<void> {
    const data = useData.getState();
    if (get().running || !dataReady(data) || get().settingsProblem) return;
    set({ running: true, cancelling: false, progress: {}, lossCurve: [], result: null });
    try {
      const onProgress = Comlink.proxy(({ losses, ...e }: ProgressEvent) => set({
        progress: { ...get().progress, [e.stage]: e },
        ...(losses?.length ? { lossCurve: [...get().lossCurve, ...losses] } : {}),
      }));
      set({ result: await studio().quantize(data.calibration.files, data.evaluation.files, get().settings, onProgress) });
    } catch (error) {
      set({ result: { ok: false, message: String(error) } });
    } finally {
      set({ running: false, cancelling: false });
    }
  }
  return {
    settings: STUDIO_SETTINGS,
    pending: null,
    running: false,
    cancelling: false,
    progress: {},
    lossCurve: [],
    result: null,
    settingsProblem: null,
    async checkSettings() {
      const settings = get().settings;
      const answer = await studio().checkSettings(settings).catch((e: unknown) => ({ ok: false as const, message: String(e) }));
      // A later edit's answer wins.
      if (get().settings === settings) set({ settingsProblem: answer.ok ? null : answer.message });
    },
    update(patch) {
      set({ settings: { ...get().settings, ...patch } });
      void get().checkSettings();
    },
    async run() {
      const data = useData.getState();
      if (get().running || !dataReady(data) || get().settingsProblem) return;
      const count = (status: typeof data.calibration.status) => (status?.ok ? status.images : 0);
      const estimate = await studio().estimateRun(get().settings, count(data.calibration.status), count(data.evaluation.status)).catch(() => null);
      if (estimate?.seconds && estimate.seconds > LONG_RUN_SECONDS) {
        set({ pending: estimate });
        return;
      }
      await start();
    },
    async confirm(go) {
      set({ pending: null });
      if (go) await start();
    },
    cancel() {
      set({ cancelling: true });
      void studio().cancelQuantize();
    },
    reset() {
      set({ progress: {}, lossCurve: [], result: null, pending: null });
    },
  };
});
