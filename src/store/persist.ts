/**
 * The current project in IndexedDB (via idb): the File objects themselves (IndexedDB stores
 * Blobs by reference, nothing is copied into the page), the settings, the edited
 * preprocessing, the last report and sweep, and the project's runs.
 *
 * Database versions: 1 held the project alone (one record, `project`/`current`); 2 adds `runs`
 * (one listing per run: its report and where it ran) and `codes` (each run's codes, apart, so the
 * list loads without them). A version-1 project keeps working: its record is unchanged, and its
 * last report becomes the first run when it reopens (see useRuns.load in runs.ts).
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { RunEnvironment } from '../export/report.ts';
import type { QuantizeReport } from '../quant/report.ts';
import type { QuantizeSettings } from '../quant/settings.ts';
import type { SerializedSource } from '../export/source.ts';
import type { NamedFile, PreprocessEdit } from '../worker/api.ts';
import type { SweepStatus } from '../worker/analysis-api.ts';

export type SweepResult = Extract<SweepStatus, { ok: true }>;

export interface SavedProject {
  version: 1;
  kind: 'demo' | 'own';
  model: NamedFile[];
  calibration: NamedFile[];
  evaluation: NamedFile[];
  settings: QuantizeSettings;
  preprocess: PreprocessEdit | null;
  report: QuantizeReport | null;
  /** The last run's codes, to rebuild its result in the worker on reopening (absent in older saves). */
  quantized?: SerializedSource | null;
  /** The class taken as "fake", when it was chosen or read from the labels (absent in older saves: the model's own). */
  fakeIndex?: number;
  /** The last size/accuracy sweep (absent in older saves). */
  sweep?: SweepResult | null;
  /** Which of the project's runs `report` is (absent in saves from before runs were kept). */
  currentRun?: string | null;
}

/** One run of the project as listed: its report, without its codes. */
export interface SavedRun {
  id: string;
  /** When it finished, in ms since 1970. */
  finishedAt: number;
  report: QuantizeReport;
  /** Where it ran; null for a run carried over from a save that did not record it. */
  environment: RunEnvironment | null;
  /** Size of its stored codes (0: none kept). */
  codesBytes: number;
}

const DB = 'defakeq-studio';
const PROJECT = 'project';
const RUNS = 'runs';
const CODES = 'codes';
const KEY = 'current';

let db: Promise<IDBPDatabase> | null = null;

function database(): Promise<IDBPDatabase> {
  db ??= openDB(DB, 2, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) d.createObjectStore(PROJECT);
      if (oldVersion < 2) {
        d.createObjectStore(RUNS, { keyPath: 'id' });
        d.createObjectStore(CODES);
      }
    },
  });
  return db;
}

export async function loadProject(): Promise<SavedProject | null> {
  const saved = (await (await database()).get(PROJECT, KEY)) as SavedProject | undefined;
  return saved?.version === 1 ? saved : null;
}

export async function saveProject(project: SavedProject): Promise<void> {
  await (await database()).put(PROJECT, project, KEY);
}

/** Forgets the project with its runs. */
export async function clearProject(): Promise<void> {
  const d = await database();
  const tx = d.transaction([PROJECT, RUNS, CODES], 'readwrite');
  await Promise.all([tx.objectStore(PROJECT).delete(KEY), tx.objectStore(RUNS).clear(), tx.objectStore(CODES).clear(), tx.done]);
}

export async function loadRuns(): Promise<SavedRun[]> {
  const runs = (await (await database()).getAll(RUNS)) as SavedRun[];
  return runs.sort((a, b) => a.finishedAt - b.finishedAt);
}

export async function loadCodes(id: string): Promise<SerializedSource | null> {
  return ((await (await database()).get(CODES, id)) as SerializedSource | undefined) ?? null;
}

/** A run and its codes, written together. */
export async function saveRun(run: SavedRun, codes: SerializedSource | null): Promise<void> {
  const d = await database();
  const tx = d.transaction([RUNS, CODES], 'readwrite');
  await Promise.all([tx.objectStore(RUNS).put(run), codes ? tx.objectStore(CODES).put(codes, run.id) : tx.objectStore(CODES).delete(run.id), tx.done]);
}

export async function deleteRuns(ids: string[]): Promise<void> {
  const d = await database();
  const tx = d.transaction([RUNS, CODES], 'readwrite');
  await Promise.all([...ids.flatMap((id) => [tx.objectStore(RUNS).delete(id), tx.objectStore(CODES).delete(id)]), tx.done]);
}

export async function clearRuns(): Promise<void> {
  const d = await database();
  const tx = d.transaction([RUNS, CODES], 'readwrite');
  await Promise.all([tx.objectStore(RUNS).clear(), tx.objectStore(CODES).clear(), tx.done]);
}

/** The stored size of a run's codes: what keeping it costs in this browser's storage. */
export function codesBytes(codes: SerializedSource | null): number {
  if (!codes) return 0;
  return codes.layers.reduce((sum, l) => sum + l.codes.length + 8 * (l.scales.length + l.zeroPoints.length), 0);
}
