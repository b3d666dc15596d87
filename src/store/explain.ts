/** The map view's state: which image and method, the maps the worker computed, their faithfulness curves. */
import { create } from 'zustand';
import type { MapMethod } from '../explain/methods.ts';
import type { NamedFile } from '../worker/api.ts';
import type { ExplainStatus, FaithfulnessStatus, MapMethodOption } from '../worker/explain-api.ts';
import { studio } from '../worker/client.ts';
import { useData } from './data.ts';
import { useQuantize } from './quantize.ts';

interface ExplainState {
  image: string | null;
  method: MapMethod;
  /** The images one can map (evaluation set first, then calibration), once listed by the worker. */
  names: string[] | null;
  methods: MapMethodOption[] | null;
  loading: boolean;
  status: ExplainStatus | null;
  faithfulness: { running: boolean; status: FaithfulnessStatus | null };
  listImages(): Promise<void>;
  explain(image: string, method?: MapMethod): Promise<void>;
  measureFaithfulness(): Promise<void>;
}

const failed = (error: unknown) => ({ ok: false as const, message: String(error) });

/** The project's images (step 2) the maps can be drawn for: the labelled set first. */
function mapFiles(): NamedFile[] {
  const { evaluation, calibration } = useData.getState();
  return [...evaluation.files, ...calibration.files];
}

const noFaithfulness = { running: false, status: null };
const fresh = { image: null, names: null, loading: false, status: null, faithfulness: noFaithfulness };

export const useExplain = create<ExplainState>((set, get) => ({
  ...fresh,
  method: 'rollout',
  methods: null,

  async listImages() {
    const files = mapFiles();
    let names: string[] = [];
    let status: ExplainStatus | null = null;
    try {
      if (!get().methods) set({ methods: await studio().mapMethods() });
      if (files.length > 0) {
        const listed = await studio().imageNames(files);
        if (listed.ok) names = listed.names;
        else status = listed;
      }
    } catch (error) {
      status = failed(error);
    }
    set({ names, status });
  },
  async explain(image, method = get().method) {
    set({ image, method, loading: true, faithfulness: noFaithfulness });
    let status: ExplainStatus;
    try {
      status = await studio().explainMaps(mapFiles(), image, method);
    } catch (error) {
      status = failed(error);
    }
    // A later request wins over one that finishes after it.
    if (get().image === image && get().method === method) set({ loading: false, status });
  },
  async measureFaithfulness() {
    const { image, method } = get();
    if (!image || get().faithfulness.running) return;
    set({ faithfulness: { running: true, status: null } });
    let status: FaithfulnessStatus;
    try {
      status = await studio().explainFaithfulness(mapFiles(), image, method);
    } catch (error) {
      status = failed(error);
    }
    if (get().image === image && get().method === method) set({ faithfulness: { running: false, status } });
  },
}));

// A new quantization run, or new images in step 2, make the maps stale.
useQuantize.subscribe((state, previous) => {
  if (state.result !== previous.result) useExplain.setState(fresh);
});
useData.subscribe((state, previous) => {
  if (state.evaluation.files !== previous.evaluation.files || state.calibration.files !== previous.calibration.files) useExplain.setState(fresh);
});
