import { create } from 'zustand';
import type { NamedFile, RunStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

interface RunState {
  running: number | null;
  result: RunStatus | null;
  run(files: NamedFile[]): Promise<void>;
}

export const useRun = create<RunState>((set) => ({
  running: null,
  result: null,
  async run(files) {
    if (files.length === 0) return;
    set({ running: files.length });
    try {
      set({ result: await studio().runImages(files), running: null });
    } catch (error) {
      set({ result: { ok: false, message: String(error) }, running: null });
    }
  },
}));
