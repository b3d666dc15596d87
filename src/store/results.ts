import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { Method } from '../quant/settings.ts';
import type { LayerDetailStatus, SweepProgress, SweepStatus } from '../worker/analysis-api.ts';
import { studio } from '../worker/client.ts';
import { useData } from './data.ts';
import { useQuantize } from './quantize.ts';

export type ResultsView = 'bits' | 'layer' | 'attention' | 'pareto';

export const SWEEP_METHODS: Method[] = ['rtn', 'adaround', 'defakeq'];

interface ResultsState {
  view: ResultsView;
  layer: { name: string | null; channel: number | null; loading: boolean; status: LayerDetailStatus | null };
  sweep: { methods: Method[]; budgets: number[]; iters: number; running: boolean; progress: SweepProgress | null; status: SweepStatus | null };
  show(view: ResultsView): void;
  inspectLayer(name: string, channel?: number | null): Promise<void>;
  configureSweep(patch: Partial<Pick<ResultsState['sweep'], 'methods' | 'budgets' | 'iters'>>): void;
  runSweep(): Promise<void>;
  cancelSweep(): void;
}

const failed = (error: unknown) => ({ ok: false as const, message: String(error) });

export const useResults = create<ResultsState>((set, get) => ({
  view: 'bits',
  layer: { name: null, channel: null, loading: false, status: null },
  sweep: { methods: [...SWEEP_METHODS], budgets: [3, 4, 6], iters: 20, running: false, progress: null, status: null },

  show(view) {
    set({ view });
  },
  async inspectLayer(name, channel = null) {
    set({ layer: { name, channel, loading: true, status: get().layer.status } });
    let status: LayerDetailStatus;
    try {
      status = await studio().layerDetail(name, channel);
    } catch (error) {
      status = failed(error);
    }
    // A later request wins over one that finishes after it.
    if (get().layer.name === name && get().layer.channel === channel) set({ layer: { name, channel, loading: false, status } });
  },
  configureSweep(patch) {
    set({ sweep: { ...get().sweep, ...patch } });
  },
  async runSweep() {
    const { sweep } = get();
    const { calibration, evaluation } = useData.getState();
    if (sweep.running) return;
    set({ sweep: { ...sweep, running: true, progress: null, status: null } });
    let status: SweepStatus;
    try {
      const settings = { ...useQuantize.getState().settings, iters: sweep.iters };
      const onProgress = Comlink.proxy((progress: SweepProgress) => set({ sweep: { ...get().sweep, progress } }));
      // Without separate calibration images, the labelled images calibrate too.
      status = await studio().sweep(calibration.files.length ? calibration.files : evaluation.files, evaluation.files, { methods: sweep.methods, budgets: sweep.budgets, settings }, onProgress);
    } catch (error) {
      status = failed(error);
    }
    set({ sweep: { ...get().sweep, running: false, status } });
  },
  cancelSweep() {
    void studio().cancelSweep();
  },
}));

// A new quantization run makes the layer view stale (the map view's store watches for it too).
useQuantize.subscribe((state, previous) => {
  if (state.result !== previous.result) {
    useResults.setState({ layer: { name: null, channel: null, loading: false, status: null } });
  }
});
