/**
 * The project's runs: every quantization that finishes is kept (up to MAX_RUNS, the oldest going
 * first), listed with its settings and figures, compared two at a time, reopened as the current
 * result, or deleted. Listings live in memory; each run's codes stay in IndexedDB until needed.
 */
import { create } from 'zustand';
import type { SerializedSource } from '../export/source.ts';
import type { QuantizeReport } from '../quant/report.ts';
import { studio } from '../worker/client.ts';
import { codesBytes, deleteRuns, loadCodes, loadRuns, saveRun, type SavedProject, type SavedRun } from './persist.ts';
import { useQuantize } from './quantize.ts';

/** Runs kept per project; each holds its codes, which for a large model weigh megabytes. */
export const MAX_RUNS = 8;

interface RunsState {
  runs: SavedRun[];
  /** The run the worker holds (the last quantized, or the one reopened). */
  current: string | null;
  /** The two runs compared, by id. */
  picked: [string | null, string | null];
  notice: string | null;
  error: string | null;
  /** Keeps a finished run; drops the oldest other run beyond MAX_RUNS. */
  add(report: QuantizeReport, codes: SerializedSource | null): Promise<void>;
  remove(id: string): Promise<void>;
  /** Makes a kept run the current result: its views, export and live check. */
  open(id: string): Promise<void>;
  pick(slot: 0 | 1, id: string | null): void;
  /** Loads the project's runs; a project saved before runs were kept gets its last report as its first run. */
  load(saved: SavedProject): Promise<void>;
  /** Forgets the list (a new project); the stores are cleared by the caller. */
  reset(): void;
}

const newId = () => (typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The two latest runs, newest second: what a comparison starts with. */
function latestTwo(runs: SavedRun[]): [string | null, string | null] {
  return [runs.at(-2)?.id ?? null, runs.at(-1)?.id ?? null];
}

export const useRuns = create<RunsState>((set, get) => ({
  runs: [],
  current: null,
  picked: [null, null],
  notice: null,
  error: null,

  async add(report, codes) {
    const run: SavedRun = { id: newId(), finishedAt: Date.now(), report, environment: null, codesBytes: codesBytes(codes) };
    const runs = [...get().runs, run];
    const dropped = runs.length > MAX_RUNS ? runs.splice(0, runs.length - MAX_RUNS) : [];
    set({ runs, current: run.id, picked: latestTwo(runs), notice: dropped.length ? `Kept the last ${MAX_RUNS} runs; the oldest was removed.` : null, error: null });
    try {
      run.environment = await studio().environment();
      await saveRun(run, codes);
      if (dropped.length) await deleteRuns(dropped.map((r) => r.id));
    } catch (error) {
      set({ error: `The run could not be kept in this browser: ${message(error)}` });
    }
  },

  async remove(id) {
    const runs = get().runs.filter((r) => r.id !== id);
    const picked = get().picked.map((p) => (p === id ? null : p)) as [string | null, string | null];
    set({ runs, picked: picked.every((p) => p === null) ? latestTwo(runs) : picked, current: get().current === id ? null : get().current, notice: null });
    await deleteRuns([id]).catch((error) => set({ error: `The run could not be deleted from this browser: ${message(error)}` }));
  },

  async open(id) {
    const run = get().runs.find((r) => r.id === id);
    if (!run || useQuantize.getState().running) return;
    try {
      const codes = await loadCodes(id);
      if (!codes) throw new Error('this run kept no codes (its LayerNorms were rescaled), so its results cannot be rebuilt; quantize it again');
      const rebuilt = await studio().restoreResult(codes, run.report);
      if (!rebuilt.ok) throw new Error(rebuilt.message);
      useQuantize.setState({ result: { ok: true, report: run.report, saved: codes }, progress: {} });
      set({ current: id, error: null });
    } catch (error) {
      set({ error: `That run could not be reopened: ${message(error)}` });
    }
  },

  pick(slot, id) {
    const picked: [string | null, string | null] = [...get().picked];
    picked[slot] = id;
    set({ picked });
  },

  async load(saved) {
    let runs = await loadRuns();
    let current = saved.currentRun ?? null;
    if (runs.length === 0 && saved.report) {
      // A project saved before runs were kept: its last run is the first of the list.
      const run: SavedRun = { id: newId(), finishedAt: Date.now(), report: saved.report, environment: null, codesBytes: codesBytes(saved.quantized ?? null) };
      await saveRun(run, saved.quantized ?? null);
      runs = [run];
      current = run.id;
    }
    set({ runs, current: runs.some((r) => r.id === current) ? current : null, picked: latestTwo(runs), notice: null, error: null });
  },

  reset() {
    set({ runs: [], current: null, picked: [null, null], notice: null, error: null });
  },
}));

// Every run that finishes with a result is kept; a result set any other way (a reopened run) is not a new run.
useQuantize.subscribe((state, previous) => {
  if (previous.running && !state.running && state.result?.ok) void useRuns.getState().add(state.result.report, state.result.saved ?? null);
});
