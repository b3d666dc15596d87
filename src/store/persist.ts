/**
 * The current project in IndexedDB (via idb): the File objects themselves (IndexedDB stores
 * Blobs by reference, nothing is copied into the page), the settings, the edited
 * preprocessing and the last report.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { QuantizeReport } from '../quant/report.ts';
import type { QuantizeSettings } from '../quant/settings.ts';
import type { SerializedSource } from '../export/source.ts';
import type { NamedFile, PreprocessEdit } from '../worker/api.ts';

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
}

const DB = 'defakeq-studio';
const STORE = 'project';
const KEY = 'current';

let db: Promise<IDBPDatabase> | null = null;

function database(): Promise<IDBPDatabase> {
  db ??= openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore(STORE);
    },
  });
  return db;
}

export async function loadProject(): Promise<SavedProject | null> {
  const saved = (await (await database()).get(STORE, KEY)) as SavedProject | undefined;
  return saved?.version === 1 ? saved : null;
}

export async function saveProject(project: SavedProject): Promise<void> {
  await (await database()).put(STORE, project, KEY);
}

export async function clearProject(): Promise<void> {
  await (await database()).delete(STORE, KEY);
}
