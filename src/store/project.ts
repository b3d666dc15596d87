/** The project as a whole: the demo, restoring the saved project on load, and saving it as it changes. */
import { create } from 'zustand';
import type { NamedFile } from '../worker/api.ts';
import { studio } from '../worker/client.ts';
import { useData } from './data.ts';
import { useModel } from './model.ts';
import { STUDIO_SETTINGS, useQuantize } from './quantize.ts';
import { clearProject, clearRuns, loadProject, saveProject, type SavedProject } from './persist.ts';
import { useResults } from './results.ts';
import { useRuns } from './runs.ts';

/** Demo settings: the full DeFakeQ pipeline with few enough iterations for a CPU adapter. */
const DEMO_SETTINGS = { ...STUDIO_SETTINGS, iters: 100, reconImages: 16 };

interface DemoManifest {
  model: string;
  config: string[];
  calibration: string[];
  evaluation: string[];
}

interface ProjectState {
  kind: 'demo' | 'own' | null;
  /** What is happening to the project as a whole, for a status line. */
  busy: 'restoring' | 'loading-demo' | null;
  error: string | null;
  /** When the project was restored from a previous visit. */
  restored: boolean;
  startDemo(): Promise<void>;
  openOwnModel(files: NamedFile[]): Promise<void>;
  newProject(): Promise<void>;
  restore(): Promise<void>;
}

async function fetchFile(base: string, path: string): Promise<NamedFile> {
  const response = await fetch(base + path);
  if (!response.ok) throw new Error(`the demo file ${path} could not be loaded (HTTP ${response.status})`);
  const blob = await response.blob();
  return { name: path, file: new File([blob], path.slice(path.lastIndexOf('/') + 1)) };
}

async function fetchDemo(): Promise<{ model: NamedFile[]; calibration: NamedFile[]; evaluation: NamedFile[] }> {
  const base = `${import.meta.env.BASE_URL}demo/`;
  const response = await fetch(`${base}manifest.json`);
  if (!response.ok) throw new Error(`the demo is missing from this build (demo/manifest.json: HTTP ${response.status})`);
  const m = (await response.json()) as DemoManifest;
  const all = (paths: string[]) => Promise.all(paths.map((p) => fetchFile(base, p)));
  const [model, calibration, evaluation] = await Promise.all([all([m.model, ...m.config]), all(m.calibration), all(m.evaluation)]);
  return { model, calibration, evaluation };
}

function snapshot(kind: 'demo' | 'own'): SavedProject | null {
  const model = useModel.getState();
  if (model.files.length === 0) return null;
  const data = useData.getState();
  const q = useQuantize.getState();
  return {
    version: 1,
    kind,
    model: model.files,
    calibration: data.calibration.files,
    evaluation: data.evaluation.files,
    settings: q.settings,
    preprocess: model.edited,
    report: q.result?.ok ? q.result.report : null,
    quantized: q.result?.ok ? (q.result.saved ?? null) : null,
    fakeIndex: model.opened?.fakeIndex,
    sweep: sweepToKeep(),
    currentRun: useRuns.getState().current,
  };
}

function sweepToKeep() {
  const status = useResults.getState().sweep.status;
  return status?.ok ? status : null;
}

/** A new project starts without the last one's runs and sweep. */
async function forgetRuns(): Promise<void> {
  useRuns.getState().reset();
  useResults.setState({ sweep: { ...useResults.getState().sweep, status: null, progress: null } });
  await clearRuns();
}

let saving = Promise.resolve();
/** Saves after every change that matters; writes are chained so the newest one lands last. */
function watchForChanges() {
  const save = () => {
    const kind = useProject.getState().kind;
    const project = kind && snapshot(kind);
    if (!project || useProject.getState().busy) return;
    saving = saving.then(() => saveProject(project)).catch((e) => useProject.setState({ error: `The project could not be saved in this browser: ${String(e)}` }));
  };
  useModel.subscribe((s, p) => (s.files !== p.files || s.edited !== p.edited || s.opened?.fakeIndex !== p.opened?.fakeIndex) && save());
  useData.subscribe((s, p) => (s.calibration.files !== p.calibration.files || s.evaluation.files !== p.evaluation.files) && save());
  useQuantize.subscribe((s, p) => (s.settings !== p.settings || ((s.result !== p.result || s.running !== p.running) && !s.running)) && save());
  useResults.subscribe((s, p) => s.sweep.status !== p.sweep.status && !s.sweep.running && save());
  useRuns.subscribe((s, p) => s.current !== p.current && save());
}

let watching = false;
let restoring: Promise<void> | null = null;

export const useProject = create<ProjectState>((set, get) => ({
  kind: null,
  busy: null,
  error: null,
  restored: false,

  async startDemo() {
    set({ busy: 'loading-demo', error: null, restored: false });
    try {
      const demo = await fetchDemo();
      if (!(await useModel.getState().open(demo.model))) throw new Error('the demo model did not open');
      useQuantize.getState().reset();
      await forgetRuns();
      useQuantize.setState({ settings: DEMO_SETTINGS });
      await Promise.all([useData.getState().setCalibration(demo.calibration), useData.getState().setEvaluation(demo.evaluation)]);
      set({ kind: 'demo', busy: null });
      const saved = snapshot('demo');
      if (saved) await saveProject(saved);
      await useQuantize.getState().run();
    } catch (error) {
      set({ busy: null, error: `The demo could not start: ${error instanceof Error ? error.message : String(error)}` });
    }
  },

  async openOwnModel(files) {
    const wasDemo = get().kind === 'demo';
    if (await useModel.getState().open(files)) {
      useQuantize.getState().reset();
      await forgetRuns();
      if (wasDemo) {
        await Promise.all([useData.getState().setCalibration([]), useData.getState().setEvaluation([])]);
        useQuantize.setState({ settings: STUDIO_SETTINGS });
      }
      set({ kind: 'own', restored: false });
    }
  },

  async newProject() {
    if (useQuantize.getState().running) useQuantize.getState().cancel();
    await clearProject();
    location.reload();
  },

  restore() {
    // Once per page, however often React mounts the App (StrictMode mounts twice).
    restoring ??= restoreSaved(set);
    return restoring;
  },
}));

async function restoreSaved(set: (p: Partial<ProjectState>) => void): Promise<void> {
    if (!watching) {
      watching = true;
      watchForChanges();
    }
    set({ busy: 'restoring' });
    try {
      const saved = await loadProject();
      if (!saved) return;
      if (!(await useModel.getState().open(saved.model))) {
        const status = useModel.getState().status;
        throw new Error(status && !status.ok ? status.message : 'the saved model did not open');
      }
      if (saved.preprocess) await useModel.getState().setPreprocess(saved.preprocess);
      if (saved.fakeIndex !== undefined && saved.fakeIndex !== useModel.getState().opened?.fakeIndex) await useModel.getState().setFakeClass(saved.fakeIndex);
      useQuantize.setState({ settings: saved.settings, result: saved.report ? { ok: true, report: saved.report, saved: saved.quantized ?? null } : null, progress: {} });
      if (saved.report && saved.quantized) {
        // The results views and the export need the run itself, not only its report.
        const rebuilt = await studio().restoreResult(saved.quantized, saved.report);
        if (!rebuilt.ok) set({ error: `The last run's results could not be rebuilt (${rebuilt.message}); quantize again to see them.` });
      }
      if (saved.sweep) useResults.setState({ sweep: { ...useResults.getState().sweep, status: saved.sweep } });
      await useRuns.getState().load(saved);
      await Promise.all([useData.getState().setCalibration(saved.calibration), useData.getState().setEvaluation(saved.evaluation)]);
      set({ kind: saved.kind, restored: true });
      // A project saved before runs were kept now names its first run.
      if (saved.currentRun !== useRuns.getState().current) await saveProject(snapshot(saved.kind) ?? saved);
    } catch (error) {
      set({ error: `The saved project could not be reopened: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      set({ busy: null });
    }
}
