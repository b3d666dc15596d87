import { create } from 'zustand';
import type { RunStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

interface RunState {
  running: number | null;
  result: RunStatus | null;
  run(files: File[]): Promise<void>;
}

export const useRun = create<RunState>((set) => ({
  running: null,
  result: null,
  async run(files) {
    if (files.length === 0) return;
    set({ running: files.length });
    try {
      const images = await Promise.all(files.map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      set({ result: await studio().runImages(images), running: null });
    } catch (error) {
      set({ result: { ok: false, message: String(error) }, running: null });
    }
  },
}));
