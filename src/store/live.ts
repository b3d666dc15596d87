/**
 * The live check: frames of a camera or a video file go to the live worker one at a time (the
 * next is grabbed when the last is done, so a slow model skips frames instead of falling behind),
 * which runs the FP and the exported quantized model on each.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { WebEp } from '../export/ort-web.ts';
import type { LiveFrameStatus } from '../worker/live-api.ts';
import { live } from '../worker/live-client.ts';
import { studio } from '../worker/client.ts';
import { attachCamera, attachFile, detach, nextFrame, type Attached } from './video-source.ts';
import { useQuantize } from './quantize.ts';

/** Frames the ms/frame mean covers. */
export const LIVE_WINDOW = 30;

type Figures = Extract<LiveFrameStatus, { ok: true }>;

interface LiveState {
  ep: WebEp;
  phase: 'idle' | 'preparing' | 'running';
  source: { kind: 'camera' } | { kind: 'file'; name: string } | null;
  /** The runtime both models run in, and the exported file, once loaded. */
  runtime: string | null;
  quantizedName: string | null;
  last: Figures | null;
  error: string | null;
  setEp(ep: WebEp): void;
  startCamera(video: HTMLVideoElement): Promise<void>;
  startFile(video: HTMLVideoElement, file: File): Promise<void>;
  stop(): Promise<void>;
}

let attached: Attached | null = null;
let generation = 0;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function loadModels(ep: WebEp): Promise<{ runtime: string; quantizedName: string }> {
  const models = await studio().liveModels(ep);
  if (!models.ok) throw new Error(models.message);
  const { fp, quantized, preprocess, fakeIndex, batch } = models;
  const loaded = await live().load(Comlink.transfer({ fp, quantized, ep, preprocess, fakeIndex, batch, window: LIVE_WINDOW }, [fp.buffer, quantized.buffer]));
  if (!loaded.ok) throw new Error(loaded.message);
  return { runtime: loaded.runtime, quantizedName: models.quantizedName };
}

async function frameLoop(video: HTMLVideoElement, mine: number, set: (p: Partial<LiveState>) => void): Promise<void> {
  while (mine === generation) {
    await nextFrame(video);
    if (mine !== generation) return;
    if (video.readyState < 2 || video.videoWidth === 0) continue;
    let result: LiveFrameStatus;
    try {
      const bitmap = await createImageBitmap(video);
      result = await live().frame(Comlink.transfer(bitmap, [bitmap]));
    } catch (error) {
      result = { ok: false, message: `A frame could not be taken from the video: ${message(error)}` };
    }
    if (mine !== generation) return;
    if (!result.ok) {
      set({ error: result.message });
      await useLive.getState().stop();
      return;
    }
    set({ last: result });
  }
}

async function start(video: HTMLVideoElement, source: LiveState['source'], attach: () => Promise<Attached>, set: (p: Partial<LiveState>) => void, get: () => LiveState) {
  await get().stop();
  const mine = ++generation;
  set({ phase: 'preparing', source, error: null, last: null, runtime: null, quantizedName: null });
  try {
    attached = await attach();
    const models = await loadModels(get().ep);
    if (mine !== generation) return;
    set({ phase: 'running', ...models });
    void frameLoop(video, mine, set);
  } catch (error) {
    if (mine !== generation) return;
    set({ error: message(error) });
    await get().stop();
  }
}

export const useLive = create<LiveState>((set, get) => ({
  ep: 'wasm',
  phase: 'idle',
  source: null,
  runtime: null,
  quantizedName: null,
  last: null,
  error: null,
  setEp(ep) {
    set({ ep });
  },
  startCamera: (video) => start(video, { kind: 'camera' }, () => attachCamera(video), set, get),
  startFile: (video, file) => start(video, { kind: 'file', name: file.name }, () => attachFile(video, file), set, get),
  async stop() {
    generation++;
    const was = attached;
    attached = null;
    detach(was);
    set({ phase: 'idle' });
    await live().unload().catch(() => undefined);
  },
}));

// A new run means new models: the check stops rather than show the old export's figures as the new one's.
useQuantize.subscribe((state, previous) => {
  if (state.result === previous.result) return;
  if (useLive.getState().phase !== 'idle') void useLive.getState().stop();
  useLive.setState({ last: null, runtime: null, quantizedName: null });
});
