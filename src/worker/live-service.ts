import { fakeProbability } from '../data/metrics.ts';
import type { DecodedImage } from '../data/decode.ts';
import { preprocess } from '../data/preprocess.ts';
import { ortWeb } from '../export/ort-web.ts';
import type { OrtModule, OrtSession } from '../export/verify.ts';
import type { LiveApi, LiveLoad, LiveModelFigures } from './live-api.ts';
import { RollingMean } from './rolling-mean.ts';

// Not from state.ts: this worker has no GPU session and should not load that code.
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface Model {
  session: OrtSession;
  ms: RollingMean;
}

interface Loaded {
  ort: OrtModule;
  request: LiveLoad;
  fp: Model;
  quantized: Model;
  frames: number;
  canvas: OffscreenCanvas | null;
}

let loaded: Loaded | null = null;

/** A frame's RGB pixels, the way decoded image files reach preprocess(). */
function pixelsOf(frame: ImageBitmap, state: Loaded): DecodedImage {
  const { width, height } = frame;
  if (!state.canvas || state.canvas.width !== width || state.canvas.height !== height) state.canvas = new OffscreenCanvas(width, height);
  const ctx = state.canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(frame, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data: rgb, name: 'the video frame' };
}

/** One image repeated to the model's batch (entry 0 is read back), as NCHW float32. */
function batchOf(pixels: Float32Array, batch: number): Float32Array {
  if (batch === 1) return pixels;
  const out = new Float32Array(pixels.length * batch);
  for (let b = 0; b < batch; b++) out.set(pixels, b * pixels.length);
  return out;
}

async function runOnce(state: Loaded, model: Model, input: Float32Array): Promise<{ logits: number[]; ms: number }> {
  const { ort, request } = state;
  const [h, w] = request.preprocess.size;
  const feed = new ort.Tensor('float32', input, [request.batch, 3, h, w]);
  const t0 = performance.now();
  const out = await model.session.run({ [model.session.inputNames[0]!]: feed });
  const ms = performance.now() - t0;
  const data = out[model.session.outputNames[0]!]!.data as Float32Array;
  return { logits: Array.from(data.subarray(0, data.length / request.batch)), ms };
}

async function figures(state: Loaded, model: Model, input: Float32Array): Promise<LiveModelFigures> {
  const { logits, ms } = await runOnce(state, model, input);
  return { score: fakeProbability(logits, state.request.fakeIndex), ms, meanMs: model.ms.add(ms) };
}

async function release(state: Loaded | null): Promise<void> {
  const sessions = state ? [state.fp.session, state.quantized.session] : [];
  await Promise.all(sessions.map((session) => session.release().catch(() => undefined)));
}

/** The live worker: two onnxruntime-web sessions on one runtime, fed one frame at a time. */
export const liveService: LiveApi = {
  async load(request) {
    await liveService.unload();
    const opened: OrtSession[] = [];
    try {
      const ort = await ortWeb(request.ep);
      const open = async (bytes: Uint8Array, which: string) => {
        try {
          const session = await ort.InferenceSession.create(bytes, { executionProviders: [request.ep] });
          opened.push(session);
          return session;
        } catch (e) {
          throw new Error(`the ${which} model did not load in onnxruntime-web ${request.ep}: ${errorMessage(e).split('\n')[0]}`, { cause: e });
        }
      };
      const fp = await open(request.fp, 'FP32');
      const quantized = await open(request.quantized, 'quantized');
      const state: Loaded = { ort, request, fp: { session: fp, ms: new RollingMean(request.window) }, quantized: { session: quantized, ms: new RollingMean(request.window) }, frames: 0, canvas: null };
      // The first run of a session compiles and allocates; it is not a frame's cost.
      const [h, w] = request.preprocess.size;
      const blank = new Float32Array(request.batch * 3 * h * w);
      await runOnce(state, state.fp, blank);
      await runOnce(state, state.quantized, blank);
      loaded = state;
      return { ok: true, ep: request.ep, runtime: `onnxruntime-web ${ort.env?.versions?.web ?? ''} ${request.ep}`.replace(/\s+/g, ' ') };
    } catch (error) {
      await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
      return { ok: false, message: errorMessage(error) };
    }
  },

  async frame(frame) {
    const state = loaded;
    try {
      if (!state) throw new Error('The live check is not loaded.');
      const image = pixelsOf(frame, state);
      const t0 = performance.now();
      const input = batchOf(preprocess([image], state.request.preprocess), state.request.batch);
      const preprocessMs = performance.now() - t0;
      // Alternate which model goes first, so neither always runs on a warmer cache.
      const fpFirst = state.frames % 2 === 0;
      const first = await figures(state, fpFirst ? state.fp : state.quantized, input);
      const second = await figures(state, fpFirst ? state.quantized : state.fp, input);
      state.frames++;
      return { ok: true, frames: state.frames, fp: fpFirst ? first : second, quantized: fpFirst ? second : first, preprocessMs, width: image.width, height: image.height };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    } finally {
      frame.close();
    }
  },

  async unload() {
    const state = loaded;
    loaded = null;
    await release(state);
  },
};
