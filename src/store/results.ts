import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { Method } from '../quant/settings.ts';
import type { NamedFile } from '../worker/api.ts';
import type { AttentionStatus, LayerDetailStatus, SweepProgress, SweepStatus } from '../worker/analysis-api.ts';
import { studio } from '../worker/client.ts';
import { useData } from './data.ts';
import { useQuantize } from './quantize.ts';

export type ResultsView = 'bits' | 'layer' | 'attention' | 'pareto';

export const SWEEP_METHODS: Method[] = ['rtn', 'adaround', 'defakeq'];

interface ResultsState {
  view: ResultsView;
  layer: { name: string | null; channel: number | null; loading: boolean; status: LayerDetailStatus | null };
  /** `names`: the images one can map (evaluation set first, then calibration), once listed by the worker. */
  attention: { image: string | null; names: string[] | null; loading: boolean; status: AttentionStatus | null };
  sweep: { methods: Method[]; budgets: number[]; iters: number; running: boolean; progress: SweepProgress | null; status: SweepStatus | null };
  show(view: ResultsView): void;
  listAttentionImages(): Promise<void>;
  inspectLayer(name: string, channel?: number | null): Promise<void>;
  mapAttention(image: string): Promise<void>;
  configureSweep(patch: Partial<Pick<ResultsState['sweep'], 'methods' | 'budgets' | 'iters'>>): void;
  runSweep(): Promise<void>;
  cancelSweep(): void;
}

const failed = (error: unknown) => ({ ok: false as const, message: String(error) });

/** The project's images (step 2) the attention maps can be drawn for: the labelled set first. */
function attentionFiles(): NamedFile[] {
  const { evaluation, calibration } = useData.getState();
  return [...evaluation.files, ...calibration.files];
}

const noAttention = { image: null, names: null, loading: false, status: null };

export const useResults = create<ResultsState>((set, get) => ({
  view: 'bits',
  layer: { name: null, channel: null, loading: false, status: null },
  attention: noAttention,
  sweep: { methods: [...SWEEP_METHODS], budgets: [3, 4, 6], iters: 20, running: false, progress: null, status: null },

  show(view) {
    set({ view });
  },
  async listAttentionImages() {
    const files = attentionFiles();
    if (files.length === 0) {
      set({ attention: { ...noAttention, names: [] } });
      return;
    }
    let names: string[] = [];
    let status: AttentionStatus | null = null;
    try {
      const listed = await studio().imageNames(files);
      if (listed.ok) names = listed.names;
      else status = listed;
    } catch (error) {
      status = failed(error);
    }
    set({ attention: { ...get().attention, names, status } });
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
  async mapAttention(image) {
    set({ attention: { ...get().attention, image, loading: true } });
    let status: AttentionStatus;
    try {
      status = await studio().attentionMaps(attentionFiles(), image);
    } catch (error) {
      status = failed(error);
    }
    if (get().attention.image === image) set({ attention: { ...get().attention, loading: false, status } });
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

// A new quantization run makes the layer and attention views stale.
useQuantize.subscribe((state, previous) => {
  if (state.result !== previous.result) {
    useResults.setState({ layer: { name: null, channel: null, loading: false, status: null }, attention: noAttention });
  }
});

// New images in step 2 change what the attention maps can be drawn for.
useData.subscribe((state, previous) => {
  if (state.evaluation.files !== previous.evaluation.files || state.calibration.files !== previous.calibration.files) {
    useResults.setState({ attention: noAttention });
  }
});
