import * as Comlink from 'comlink';
import { create } from 'zustand';
import { DEFAULT_SETTINGS, type ProgressEvent, type QuantizeSettings, type StageName } from '../quant/pipeline.ts';
import type { QuantizeStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

interface QuantizeState {
  settings: QuantizeSettings;
  running: boolean;
  progress: Partial<Record<StageName, ProgressEvent>>;
  result: QuantizeStatus | null;
  update(patch: Partial<QuantizeSettings>): void;
  run(calibration: File[]): Promise<void>;
  cancel(): void;
}

export const useQuantize = create<QuantizeState>((set, get) => ({
  settings: { ...DEFAULT_SETTINGS, iters: 100, reconImages: 16 },
  running: false,
  progress: {},
  result: null,
  update(patch) {
    set({ settings: { ...get().settings, ...patch } });
  },
  async run(calibration) {
    if (calibration.length === 0 || get().running) return;
    set({ running: true, progress: {}, result: null });
    try {
      const files = await Promise.all(calibration.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const onProgress = Comlink.proxy((e: ProgressEvent) => set({ progress: { ...get().progress, [e.stage]: e } }));
      set({ result: await studio().quantize(files, [], get().settings, onProgress) });
    } catch (error) {
      set({ result: { ok: false, message: String(error) } });
    } finally {
      set({ running: false });
    }
  },
  cancel() {
    void studio().cancelQuantize();
  },
}));
