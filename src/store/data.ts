import { create } from 'zustand';
import type { ImageSetStatus, NamedFile } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

export interface ImageSet {
  files: NamedFile[];
  /** What the worker found in them: image counts, or why they cannot be used. */
  status: ImageSetStatus | null;
  checking: boolean;
}

const empty: ImageSet = { files: [], status: null, checking: false };

interface DataState {
  calibration: ImageSet;
  /** Labelled by real/ and fake/ folders; optional. */
  evaluation: ImageSet;
  setCalibration(files: NamedFile[]): Promise<void>;
  setEvaluation(files: NamedFile[]): Promise<void>;
}

type Key = 'calibration' | 'evaluation';

async function check(key: Key, files: NamedFile[], set: (p: Partial<DataState>) => void, get: () => DataState) {
  if (files.length === 0) {
    set({ [key]: empty });
    return;
  }
  set({ [key]: { files, status: null, checking: true } });
  let status: ImageSetStatus;
  try {
    status = await studio().checkImages(files, key === 'evaluation');
  } catch (error) {
    status = { ok: false, message: String(error) };
  }
  // A later pick wins over a slower earlier check.
  if (get()[key].files === files) set({ [key]: { files, status, checking: false } });
}

export const useData = create<DataState>((set, get) => ({
  calibration: empty,
  evaluation: empty,
  setCalibration: (files) => check('calibration', files, set, get),
  setEvaluation: (files) => check('evaluation', files, set, get),
}));

/** Ready to quantize: calibration images found, and the evaluation set (if any) usable. */
export function dataReady(s: Pick<DataState, 'calibration' | 'evaluation'>): boolean {
  return s.calibration.status?.ok === true && (s.evaluation.files.length === 0 || s.evaluation.status?.ok === true);
}
