import { labelledSet, listImages } from '../data/dataset.ts';
import { preprocessorFromConfig, VIT_DEFAULTS, type PreprocessOptions } from '../data/preprocess.ts';
import { modelImageSize } from '../model/input.ts';
import { assertSupported, openModelSource, type OpenedModel } from '../model/open.ts';
import { checkFits, memoryAllowance, memoryNeeds } from '../model/limits.ts';
import { blobSource } from './blob-source.ts';
import { liveSession } from './gpu-context.ts';
import { BATCH } from './quantize-service.ts';
import type { FileBytes, ImageSetStatus, ModelStatus, PreprocessSummary, StudioApi } from './api.ts';
import { readBytes, sourcesOf } from './inputs.ts';
import { fakeClassOf, labelsFromConfig } from '../model/labels.ts';
import { errorMessage as message, unloadModel, workerState } from './state.ts';

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

/** The device memory the browser reports, in GiB (Chrome; undefined elsewhere). */
function deviceMemory(): number | undefined {
  return (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
}

function summary(options: PreprocessOptions | null, source: string): PreprocessSummary | null {
  return options && { size: options.size, mean: options.mean, std: options.std, source };
}

/** Opening a model with its side files, its preprocessing, and checking input image sets. */
export const modelService: Pick<StudioApi, 'openModel' | 'setPreprocess' | 'setFakeClass' | 'checkImages'> = {
  async openModel(file, extraFiles): Promise<ModelStatus> {
    try {
      // Configs are read whole; the model and its external data a piece at a time, as they are used.
      const isConfig = (f: { name: string }) => f.name.endsWith('.json');
      const extra = await Promise.all(extraFiles.filter(isConfig).map(async (f) => ({ name: f.name, bytes: await readBytes(f) })));
      const named = (location: string) => extraFiles.find((f) => f.name === location || f.name.endsWith(`/${location}`));
      const external = (location: string) => {
        const f = named(location);
        return f && blobSource(f.file, location);
      };
      const opened = openModelSource(blobSource(file.file, file.name), external);
      assertSupported(opened.model);
      // Before any weight is read: does it fit the adapter and the memory the tab may use?
      const limits = await liveSession().then(({ ctx }) => ctx.summary.limits, () => ({}));
      const tooBig = checkFits(file.name, memoryNeeds(opened.model, BATCH), { ...limits, memory: memoryAllowance(deviceMemory()) });
      if (tooBig) throw new Error(tooBig);
      const { options, source } = preprocessFor(opened, extra);
      const configFile = extra.find((f) => f.name === 'config.json' || f.name.endsWith('/config.json'));
      const parsed = configFile ? parseJson(configFile) : null;
      const config = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
      const labels = labelsFromConfig(config);
      const fakeIndex = fakeClassOf(labels).index;
      unloadModel();
      workerState.current = { opened, preprocess: options, source, fakeIndex, config };
      workerState.lastResult = null;
      return { ok: true, fileName: file.name, bytes: file.file.size, report: opened.report, preprocess: summary(options, source), labels, fakeIndex };
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

  async setFakeClass(index) {
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      if (index !== 0 && index !== 1) throw new Error(`the fake class must be 0 or 1, got ${index}`);
      workerState.current = { ...workerState.current, fakeIndex: index };
      return { ok: true as const };
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
};
