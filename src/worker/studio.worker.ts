import * as Comlink from 'comlink';
import { labelledSet, listImages, type FileSource } from '../data/dataset.ts';
import { decodeImageBrowser } from '../data/decode-browser.ts';
import { fakeProbability } from '../data/metrics.ts';
import { preprocess, preprocessorFromConfig, VIT_DEFAULTS, type PreprocessOptions } from '../data/preprocess.ts';
import { GpuModel } from '../engine/session.ts';
import { explainGpuFailure, GpuDeviceLostError } from '../gpu/device.ts';
import { batchSizes, fixedBatch, modelImageSize } from '../model/input.ts';
import { quantizeModel } from '../quant/pipeline.ts';
import { reconstructor } from '../quant/reconstruct.ts';
import { assertSupported, openModel, type OpenedModel } from '../model/open.ts';
import type { FileBytes, GpuStatus, ImageSetStatus, ModelStatus, PreprocessSummary, QuantizeStatus, RunStatus, StudioApi } from './api.ts';
import { labelsFromConfig, readBytes, sourcesOf } from './inputs.ts';
import { analysisService } from './analysis-service.ts';
import { exportService } from './export-service.ts';
import { errorMessage as message, openSession, workerState } from './state.ts';

/** Images per GPU run: small enough for a CPU adapter to stay responsive. */
const BATCH = 8;

let cancelRun: AbortController | null = null;

async function decodeAll(files: FileSource[], options: PreprocessOptions, batch: number, where: string) {
  const sources = listImages(files, where);
  const batches: { pixels: Float32Array; count: number; names: string[] }[] = [];
  for (let start = 0; start < sources.length; start += batch) {
    const chunk = sources.slice(start, start + batch);
    const decoded = [];
    for (const s of chunk) decoded.push(await decodeImageBrowser(await s.read(), s.name));
    batches.push({ pixels: preprocess(decoded, options), count: chunk.length, names: chunk.map((c) => c.name) });
  }
  return batches;
}

const parseJson = (f: FileBytes) => {
  try {
    return JSON.parse(new TextDecoder().decode(f.bytes)) as unknown;
  } catch {
    throw new Error(`${f.name} is not valid JSON`);
  }
};

function preprocessFor(opened: OpenedModel, extra: FileBytes[]): { options: PreprocessOptions | null; source: string } {
  const config = extra.find((f) => f.name.endsWith('preprocessor_config.json'));
  if (config) {
    return { options: preprocessorFromConfig(parseJson(config), config.name), source: config.name };
  }
  const size = modelImageSize(opened.model);
  if (!size) return { options: null, source: 'unknown: the model has no fixed image size; add its preprocessor_config.json' };
  return { options: { size, mean: VIT_DEFAULTS.mean, std: VIT_DEFAULTS.std, rescale: VIT_DEFAULTS.rescale }, source: 'defaults (mean 0.5, std 0.5, size from the model)' };
}

function summary(options: PreprocessOptions | null, source: string): PreprocessSummary | null {
  return options && { size: options.size, mean: options.mean, std: options.std, source };
}

const api: StudioApi = {
  ...exportService,
  ...analysisService,

  async gpuStatus(): Promise<GpuStatus> {
    try {
      const s = await openSession();
      return { ok: true, adapter: s.context.summary };
    } catch (error) {
      return { ok: false, message: message(error) };
    }
  },

  async openModel(file, extraFiles): Promise<ModelStatus> {
    try {
      const bytes = await readBytes(file);
      const extra = await Promise.all(extraFiles.map(async (f) => ({ name: f.name, bytes: await readBytes(f) })));
      const external = (location: string) => extra.find((f) => f.name === location || f.name.endsWith(`/${location}`))?.bytes;
      const opened = openModel(bytes, file.name, external);
      assertSupported(opened.model);
      const { options, source } = preprocessFor(opened, extra);
      const config = extra.find((f) => f.name === 'config.json' || f.name.endsWith('/config.json'));
      const labels = config ? labelsFromConfig(parseJson(config)) : null;
      workerState.current = { opened, preprocess: options, source };
      workerState.lastResult = null;
      return { ok: true, fileName: file.name, bytes: bytes.byteLength, report: opened.report, preprocess: summary(options, source), labels };
    } catch (error) {
      return { ok: false, fileName: file.name, message: message(error) };
    }
  },

  async setPreprocess(edit) {
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      const [h, w] = edit.size;
      if (![h, w].every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)) throw new Error(`the image size must be whole pixels between 1 and 4096, got ${h}x${w}`);
      if (![...edit.mean, ...edit.std].every(Number.isFinite)) throw new Error('mean and std must be numbers');
      if (edit.std.some((v) => v <= 0)) throw new Error('every std must be above 0');
      const base = workerState.current.preprocess;
      const options: PreprocessOptions = { rescale: VIT_DEFAULTS.rescale, ...base, size: [h, w], mean: edit.mean, std: edit.std };
      // A crop from a config assumes its own size; an edited size resizes straight to it.
      if (base && (base.size[0] !== h || base.size[1] !== w)) delete options.resizeTo;
      workerState.current = { ...workerState.current, preprocess: options, source: 'your edits' };
      return { ok: true as const, preprocess: summary(options, workerState.current.source)! };
    } catch (error) {
      return { ok: false as const, message: message(error) };
    }
  },

  async checkImages(files, labelled): Promise<ImageSetStatus> {
    try {
      const sources = await sourcesOf(files);
      if (labelled) {
        const set = labelledSet(sources, 'the evaluation set');
        return { ok: true, images: set.images.length, real: set.real, fake: set.fake };
      }
      return { ok: true, images: listImages(sources, 'the calibration set').length, real: null, fake: null };
    } catch (error) {
      return { ok: false, message: message(error) };
    }
  },

  async runImages(images): Promise<RunStatus> {
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      const { opened, preprocess: options } = workerState.current;
      if (!options) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
      const sources = listImages(await sourcesOf(images), 'the chosen files');
      // Decode everything first: a bad image stops the run before any GPU work.
      const decoded = [];
      for (const s of sources) decoded.push(await decodeImageBrowser(await s.read(), s.name));
      const ctx = (await openSession()).context;
      const model = new GpuModel(ctx, opened.model);
      const input = opened.model.graph.inputs[0].name;
      const output = opened.model.graph.outputs[0].name;
      const t0 = performance.now();
      const predictions = [];
      try {
        let start = 0;
        for (const size of batchSizes(opened.model, decoded.length, BATCH)) {
          const chunk = decoded.slice(start, start + size);
          const { outputs } = await model.run({ [input]: preprocess(chunk, options) }, chunk.length);
          const classes = outputs[output].data.length / chunk.length;
          for (let i = 0; i < chunk.length; i++) {
            const logits = Array.from(outputs[output].data.subarray(i * classes, (i + 1) * classes));
            predictions.push({ image: sources[start + i].name, logits, pFake: fakeProbability(logits) });
          }
          start += size;
        }
      } finally {
        model.dispose();
      }
      return { ok: true, predictions, ms: performance.now() - t0 };
    } catch (error) {
      return { ok: false, message: message(error) };
    }
  },

  async quantize(calibration, evaluation, settings, onProgress): Promise<QuantizeStatus> {
    cancelRun?.abort();
    const controller = new AbortController();
    cancelRun = controller;
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      const { opened, preprocess: options } = workerState.current;
      if (!options) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
      const size = fixedBatch(opened.model) ?? BATCH;
      const calib = await decodeAll(await sourcesOf(calibration), options, size, 'the calibration set');
      let labelled: { pixels: Float32Array; count: number; isFake: boolean[] }[] | undefined;
      if (evaluation.length) {
        const set = labelledSet(await sourcesOf(evaluation), 'the evaluation set');
        const byName = new Map(set.images.map((i) => [i.file.name, i.isFake]));
        labelled = (await decodeAll(set.images.map((i) => i.file), options, size, 'the evaluation set')).map((b) => ({ ...b, isFake: b.names.map((n) => byName.get(n)!) }));
      }
      const session = await openSession();
      const ctx = session.context;
      try {
        const result = await quantizeModel(ctx, opened.model, { calibration: calib, evaluation: labelled }, settings, {
          signal: controller.signal,
          onProgress,
          reconstruct: reconstructor(ctx),
        });
        workerState.lastResult = result;
        return { ok: true, report: result.report };
      } catch (error) {
        const explained = await explainGpuFailure(ctx, error);
        if (explained instanceof GpuDeviceLostError || session.isLost) {
          // A fresh device for the next run; this one's work is gone.
          await session.recover().catch(() => undefined);
          throw new Error(`${message(explained)} A new GPU device is ready: run again to start over.`);
        }
        throw explained;
      }
    } catch (error) {
      return { ok: false, message: message(error) };
    } finally {
      if (cancelRun === controller) cancelRun = null;
    }
  },

  cancelQuantize() {
    cancelRun?.abort();
  },
};

Comlink.expose(api);
