import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { Method } from '../quant/pipeline.ts';
import type { FileBytes } from '../worker/api.ts';
import type { AttentionStatus, LayerDetailStatus, SweepProgress, SweepStatus } from '../worker/analysis-api.ts';
import { studio } from '../worker/client.ts';
import { useQuantize } from './quantize.ts';

export type ResultsView = 'bits' | 'layer' | 'attention' | 'pareto';

export const SWEEP_METHODS: Method[] = ['rtn', 'adaround', 'defakeq'];

interface ResultsState {
  view: ResultsView;
  /** Images the sweep quantizes with and the attention maps are drawn for; set here or by whoever holds the project's files. */
  images: { calibration: File[]; evaluation: File[] };
  layer: { name: string | null; channel: number | null; loading: boolean; status: LayerDetailStatus | null };
  attention: { image: string | null; loading: boolean; status: AttentionStatus | null };
  sweep: { methods: Method[]; budgets: number[]; iters: number; running: boolean; progress: SweepProgress | null; status: SweepStatus | null };
  show(view: ResultsView): void;
  setImages(images: Partial<ResultsState['images']>): void;
  inspectLayer(name: string, channel?: number | null): Promise<void>;
  mapAttention(image: string): Promise<void>;
  configureSweep(patch: Partial<Pick<ResultsState['sweep'], 'methods' | 'budgets' | 'iters'>>): void;
  runSweep(): Promise<void>;
  cancelSweep(): void;
}

const nameOf = (f: File) => f.webkitRelativePath || f.name;
const bytesOf = async (f: File): Promise<FileBytes> => ({ name: nameOf(f), bytes: new Uint8Array(await f.arrayBuffer()) });
const failed = (error: unknown) => ({ ok: false as const, message: String(error) });

export function analysisImages(images: ResultsState['images']): File[] {
  return [...images.evaluation, ...images.calibration];
}

export const useResults = create<ResultsState>((set, get) => ({
  view: 'bits',
  images: { calibration: [], evaluation: [] },
  layer: { name: null, channel: null, loading: false, status: null },
  attention: { image: null, loading: false, status: null },
  sweep: { methods: [...SWEEP_METHODS], budgets: [3, 4, 6], iters: 20, running: false, progress: null, status: null },

  show(view) {
    set({ view });
  },
  setImages(images) {
    set({ images: { ...get().images, ...images } });
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
    const file = analysisImages(get().images).find((f) => nameOf(f) === image);
    if (!file) return;
    set({ attention: { image, loading: true, status: get().attention.status } });
    let status: AttentionStatus;
    try {
      status = await studio().attentionMaps(await bytesOf(file));
    } catch (error) {
      status = failed(error);
    }
    if (get().attention.image === image) set({ attention: { image, loading: false, status } });
  },
  configureSweep(patch) {
    set({ sweep: { ...get().sweep, ...patch } });
  },
  async runSweep() {
    const { sweep, images } = get();
    if (sweep.running) return;
    set({ sweep: { ...sweep, running: true, progress: null, status: null } });
    let status: SweepStatus;
    try {
      const calibration = await Promise.all(images.calibration.map(bytesOf));
      const evaluation = await Promise.all(images.evaluation.map(bytesOf));
      const settings = { ...useQuantize.getState().settings, iters: sweep.iters };
      const onProgress = Comlink.proxy((progress: SweepProgress) => set({ sweep: { ...get().sweep, progress } }));
      // Without separate calibration images, the labelled images calibrate too.
      status = await studio().sweep(calibration.length ? calibration : evaluation, evaluation, { methods: sweep.methods, budgets: sweep.budgets, settings }, onProgress);
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
    useResults.setState({ layer: { name: null, channel: null, loading: false, status: null }, attention: { image: null, loading: false, status: null } });
  }
});
