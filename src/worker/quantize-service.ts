import { checkBudget, SettingsError } from '../quant/feasibility.ts';
import { explainGpuFailure, GpuDeviceLostError } from '../gpu/device.ts';
import { fixedBatch } from '../model/input.ts';
import { restoreResult } from '../export/restore.ts';
import { exportSourceOf, parseSource, serializeSource, type SerializedSource } from '../export/source.ts';
import { QuantizeFailure, quantizeModel } from '../quant/pipeline/quantize.ts';
import type { QuantizeResult } from '../quant/report.ts';
import { reconstructor } from '../quant/reconstruction/reconstructor.ts';
import type { QuantizeStatus, StudioApi } from './api.ts';
import { liveSession } from './gpu-context.ts';
import { imageBatches, labelledBatches } from './image-batches.ts';
import { sourcesOf } from './inputs.ts';
import { errorMessage as message, workerState } from './state.ts';

/** Images per GPU run: small enough for a CPU adapter to stay responsive. */
export const BATCH = 8;

let cancelRun: AbortController | null = null;

/** The DeFakeQ pipeline on the open model, cancellable; a lost device gets a fresh one for the next run. */
/** The run's codes for storage; none for a run that chose no widths or rescaled its LayerNorms (not rebuildable). */
function savedCodes(result: QuantizeResult, fileName: string): SerializedSource | null {
  if (result.report.settings.actReparam) return null;
  try {
    // Hashing would mean re-encoding the model; a project keeps its model file beside the codes instead.
    return serializeSource(exportSourceOf(result.model, result, { fileName, sha256: '', bytes: 0 }));
  } catch {
    return null;
  }
}

export const quantizeService: Pick<StudioApi, 'quantize' | 'cancelQuantize' | 'restoreResult' | 'checkSettings'> = {
  async checkSettings(settings) {
    try {
      if (!workerState.current) return { ok: true as const };
      checkBudget(workerState.current.opened.model, settings);
      return { ok: true as const };
    } catch (error) {
      if (error instanceof SettingsError) return { ok: false as const, message: error.message, setting: error.setting, least: error.least };
      return { ok: false as const, message: message(error), setting: 'model' };
    }
  },

  async quantize(calibration, evaluation, settings, onProgress): Promise<QuantizeStatus> {
    cancelRun?.abort();
    const controller = new AbortController();
    cancelRun = controller;
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      const { opened, preprocess: options, fakeIndex } = workerState.current;
      checkBudget(opened.model, settings);
      if (!options) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
      const size = fixedBatch(opened.model) ?? BATCH;
      const calib = await imageBatches(await sourcesOf(calibration), options, size, 'the calibration set');
      const labelled = evaluation.length ? await labelledBatches(await sourcesOf(evaluation), options, size, 'the evaluation set') : undefined;
      const { session, ctx } = await liveSession();
      try {
        const result = await quantizeModel(ctx, opened.model, { calibration: calib, evaluation: labelled, fakeIndex }, settings, {
          signal: controller.signal,
          onProgress,
          reconstruct: reconstructor(ctx),
        });
        workerState.lastResult = result;
        return { ok: true, report: result.report, saved: savedCodes(result, opened.fileName) };
      } catch (error) {
        const partial = error instanceof QuantizeFailure ? error.partial : null;
        const explained = await explainGpuFailure(ctx, error instanceof QuantizeFailure ? error.cause : error);
        let text = message(explained);
        if (explained instanceof GpuDeviceLostError || session.isLost) {
          // A fresh device for the next run; the finished stages live on the host and are kept.
          await session.recover().catch(() => undefined);
          text = `${text} A new GPU device is ready: run again for a complete result.`;
        }
        if (!partial) throw new Error(text, { cause: error });
        workerState.lastResult = partial;
        const report = { ...partial.report, failed: { stage: partial.report.failed!.stage, message: text } };
        return { ok: true, report, saved: savedCodes(partial, opened.fileName) };
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

  async restoreResult(saved, report) {
    try {
      if (!workerState.current) throw new Error('Open a model first.');
      const model = workerState.current.opened.model;
      workerState.lastResult = restoreResult(model, parseSource(saved, 'the saved project'), report);
      return { ok: true };
    } catch (error) {
      return { ok: false, message: message(error) };
    }
  },
};
