import * as Comlink from 'comlink';
import type { WebEp } from '../export/ort-web.ts';
import { fixedBatch } from '../model/input.ts';
import type { LiveModelsStatus, LiveSourceApi } from './live-api.ts';
import { currentModel, exportOfRun, fpModelFile } from './run-export.ts';
import { errorMessage, workerState } from './state.ts';

/** Studio-worker side of the live check: the FP model and the current run's export for the runtime. */
export const liveModelsService: LiveSourceApi = {
  async liveModels(ep: WebEp): Promise<LiveModelsStatus> {
    try {
      const { opened, preprocess, fakeIndex } = currentModel();
      if (!preprocess) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
      const result = workerState.lastResult;
      if (!result) throw new Error('Quantize the model first: the live check runs the last run\'s export.');
      // Each runtime gets the layout the export writes for it (the Export panel's default for that target).
      const exported = await exportOfRun({ report: result.report, saved: null, current: true }, ep);
      const fp = (await fpModelFile()).bytes;
      // A copy: the worker keeps its last export, and transferring would empty it here.
      const quantized = exported.onnx.slice();
      const status: LiveModelsStatus = {
        ok: true, fp, quantized, quantizedName: exported.fileName, quantizedSha256: exported.report.size.sha256 ?? '',
        preprocess, fakeIndex, batch: fixedBatch(opened.model) ?? 1,
      };
      return Comlink.transfer(status, [fp.buffer, quantized.buffer]);
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },
};
