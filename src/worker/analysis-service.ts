import { fixedBatch } from '../model/input.ts';
import { analyzeModel } from '../model/summary.ts';
import { layerWeights } from '../quant/inspect/layer-weights.ts';
import { quantizeModel } from '../quant/pipeline/quantize.ts';
import type { QuantizeCache } from '../quant/pipeline/types.ts';
import { uniformBudget } from '../quant/allocation/uniform.ts';
import { reconstructor } from '../quant/reconstruction/reconstructor.ts';
import { reportedRange } from '../quant/allocation/weight-ranges.ts';
import { listImages } from '../data/dataset.ts';
import type { AnalysisApi, ImageNamesStatus, LayerDetailStatus, SweepPoint, SweepStatus } from './analysis-api.ts';
import { liveSession } from './gpu-context.ts';
import { imageBatches, labelledBatches } from './image-batches.ts';
import { sourcesOf } from './inputs.ts';
import { versusAdaRound, type ScoredRun } from './sweep-pairs.ts';
import { BATCH } from './quantize-service.ts';
import { errorMessage, workerState } from './state.ts';

let sweepRun: AbortController | null = null;

export function openModelWithOptions() {
  const current = workerState.current;
  if (!current) throw new Error('Open a model first.');
  if (!current.preprocess) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
  return { model: current.opened.model, options: current.preprocess, fakeIndex: current.fakeIndex };
}

export function lastQuantized() {
  const result = workerState.lastResult;
  if (!result) throw new Error('Quantize the model first: the results views show the last run.');
  return result;
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

export const analysisService: AnalysisApi = {
  async layerDetail(name, channel): Promise<LayerDetailStatus> {
    try {
      const { model } = openModelWithOptions();
      const result = lastQuantized();
      const layer = analyzeModel(model).layers.find((l) => l.name === name);
      const quant = result.plan.layers.get(name);
      if (!layer) throw new Error(`the model has no layer named ${name}`);
      if (!quant || quant.bits >= 32) throw new Error(`layer ${name} was not quantized in the last run (it stopped before the bits were chosen)`);
      const learned = result.report.layers.find((l) => l.name === name)?.reconstructed ?? false;
      const weights = layerWeights(layer, model.graph.initializers.get(layer.weight)!, quant, reportedRange(result.report, name), channel);
      return { ok: true, name, learned, ...weights };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },

  async imageNames(files): Promise<ImageNamesStatus> {
    try {
      return { ok: true, names: listImages(await sourcesOf(files), 'the chosen images').map((s) => s.name) };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },

  async sweep(calibration, evaluation, { methods, budgets, settings }, onProgress): Promise<SweepStatus> {
    sweepRun?.abort();
    const controller = new AbortController();
    sweepRun = controller;
    try {
      const { model, options, fakeIndex } = openModelWithOptions();
      if (methods.length === 0 || budgets.length === 0) throw new Error('Choose at least one method and one budget to sweep.');
      if (evaluation.length === 0) throw new Error('The sweep measures accuracy: add a labelled evaluation set (images in real/ and fake/ folders).');
      const size = fixedBatch(model) ?? BATCH;
      const calib = await imageBatches(await sourcesOf(calibration), options, size, 'the calibration images');
      const labelled = await labelledBatches(await sourcesOf(evaluation), options, size, 'the evaluation set');
      const { ctx } = await liveSession();
      const points: SweepPoint[] = [];
      const scored: (ScoredRun & { point: SweepPoint })[] = [];
      // Calibration, the error tables and the FP scores are the same for every run: computed once.
      const cache: QuantizeCache = {};
      let fp: Extract<SweepStatus, { ok: true }>['fp'] | null = null;
      const total = methods.length * budgets.length;
      for (const method of methods) {
        for (const budget of budgets) {
          if (controller.signal.aborted) break;
          // At equal bytes: every method gets the stored size of the uniform model at this width.
          const avgBits = uniformBudget(model, budget, settings);
          const t0 = performance.now();
          try {
            const { report, scores } = await quantizeModel(ctx, model, { calibration: calib, evaluation: labelled, fakeIndex, cache }, { ...settings, method, avgBits }, {
              signal: controller.signal,
              reconstruct: reconstructor(ctx),
              onProgress: (e) => onProgress({ done: points.length, total, method, budget, stage: e.stage, step: e.step, stageTotal: e.total }),
            });
            if (report.cancelled || !report.evaluation) break;
            const e = report.evaluation;
            fp ??= { auc: e.fp.auc, accuracy: e.fp.accuracy, bytes: report.fpBytes, images: e.fp.n };
            const point: SweepPoint = {
              method, budget,
              result: {
                avgBits: report.avgBits, modelBytes: report.modelBytes, auc: e.quantized.auc, accuracy: e.quantized.accuracy, agreement: e.agreement,
                aucChange: e.aucChange, versusAdaRound: null, ms: performance.now() - t0,
              },
            };
            points.push(point);
            if (scores) scored.push({ method, budget, scores, point });
          } catch (error) {
            if (isAbort(error)) break;
            // A budget a method cannot meet is a point of the sweep, not its end.
            if (!(error instanceof RangeError)) throw error;
            points.push({ method, budget, result: null, message: error.message });
          }
        }
      }
      if (!fp) {
        if (controller.signal.aborted) return { ok: false, message: 'The sweep was cancelled before its first point finished.' };
        throw new Error(`No method could meet any of the budgets: ${points.map((p) => p.message).filter(Boolean)[0] ?? ''}`);
      }
      versusAdaRound(scored, labelled, fakeIndex).forEach((d, i) => (scored[i].point.result!.versusAdaRound = d));
      return { ok: true, fp, points, cancelled: controller.signal.aborted };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    } finally {
      if (sweepRun === controller) sweepRun = null;
    }
  },

  cancelSweep() {
    sweepRun?.abort();
  },
};
