import * as Comlink from 'comlink';
import { listImages } from '../data/dataset.ts';
import { decodeImageBrowser } from '../data/decode-browser.ts';
import { preprocess } from '../data/preprocess.ts';
import { GpuModel } from '../engine/session.ts';
import { batchSizes } from '../model/input.ts';
import type { GpuStatus, RunStatus, StudioApi } from './api.ts';
import { analysisService } from './analysis-service.ts';
import { exportService } from './export-service.ts';
import { explainService } from './explain-service.ts';
import { liveModelsService } from './live-models.ts';
import { reportService } from './report-service.ts';
import { liveSession } from './gpu-context.ts';
import { sourcesOf } from './inputs.ts';
import { modelService } from './model-service.ts';
import { BATCH, quantizeService } from './quantize-service.ts';
import { errorMessage as message, openSession, workerState } from './state.ts';

const api: StudioApi = {
  ...exportService,
  ...analysisService,
  ...explainService,
  ...modelService,
  ...quantizeService,
  ...reportService,
  ...liveModelsService,

  async gpuStatus(): Promise<GpuStatus> {
    try {
      const s = await openSession();
      return { ok: true, adapter: s.context.summary };
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
      const { ctx } = await liveSession();
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
            predictions.push({ image: sources[start + i].name, logits });
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
};

Comlink.expose(api);
