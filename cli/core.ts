/**
 * The seam between the command-line front end (arguments, files, images) and the studio's engine.
 * The CLI does everything up to these calls and prints what they return.
 */
import { GpuModel } from '../src/engine/session.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { batchSizes } from '../src/model/input.ts';
import { score } from '../src/quant/evaluation/evaluate.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import type { QuantizeReport, QuantizeResult } from '../src/quant/report.ts';
import { DEFAULT_SETTINGS, settingValues, type QuantizeSettings } from '../src/quant/settings.ts';
import { reconstructor } from '../src/quant/reconstruction/reconstructor.ts';
import type { ExportFlags, QuantizeFlags } from './args.ts';
import { TARGET_FORMAT } from '../src/export/writer.ts';
import { formatReport, modelReport } from '../src/model/report.ts';
import { analyzeModel } from '../src/model/summary.ts';
import type { LoadedModel } from './model-files.ts';
import { progressNotes } from './progress.ts';

/** Preprocessed images for one engine run. */
export interface InputBatch {
  /** File names, in order (sorted by name across batches). */
  images: string[];
  /** float32 NCHW, normalised. */
  pixels: Float32Array;
  dims: [number, number, number, number];
}

export interface InspectOutput {
  /** Printed with --json (JSON.stringify). */
  json: unknown;
  /** Printed otherwise. */
  text: string;
}

export interface EvalScores {
  auc: number;
  accuracy: number;
  n: number;
}

export interface QuantizeData {
  calib: InputBatch[];
  evaluation?: (InputBatch & { isFake: boolean[] })[];
  fakeIndex: number;
}

export interface CliCore {
  /** Accuracy and ROC-AUC over labelled batches. */
  evaluate(ctx: GpuContext, model: LoadedModel, batches: (InputBatch & { isFake: boolean[] })[], fakeIndex: number): Promise<EvalScores>;
  /** The quantization pipeline; returns the report and the result (for the export). `note` receives progress lines. */
  quantize(ctx: GpuContext, model: LoadedModel, data: QuantizeData, flags: QuantizeFlags & ExportFlags, note: (line: string) => void): Promise<{ report: QuantizeReport; result: QuantizeResult }>;
  /** Structure of a decoded model: layers, blocks, attention cores, op histogram. */
  inspect(model: LoadedModel): Promise<InspectOutput>;
  /** Logits for every image of every batch, in order: one row per image. */
  run(ctx: GpuContext, model: LoadedModel, batches: InputBatch[]): Promise<number[][]>;
}

/** The pipeline's settings from the command line's flags. */
export function quantizeSettings(flags: QuantizeFlags & ExportFlags): QuantizeSettings {
  return { ...DEFAULT_SETTINGS, ...settingValues(flags), exportFormat: flags.format ?? TARGET_FORMAT[flags.target] };
}

export const core: CliCore = {
  async inspect({ model }) {
    const report = modelReport(model, analyzeModel(model));
    return { json: report, text: formatReport(report) };
  },

  async evaluate(ctx, { model }, batches, fakeIndex) {
    const gpuModel = new GpuModel(ctx, model);
    try {
      const s = await score(gpuModel, batches.map((b) => ({ pixels: b.pixels, count: b.dims[0], isFake: b.isFake })), fakeIndex);
      return { auc: s.auc, accuracy: s.accuracy, n: s.n };
    } finally {
      gpuModel.dispose();
    }
  },

  async quantize(ctx, { model }, data, flags, note) {
    const settings = quantizeSettings(flags);
    const result = await quantizeModel(ctx, model, {
      calibration: data.calib.map((b) => ({ pixels: b.pixels, count: b.dims[0] })),
      evaluation: data.evaluation?.map((b) => ({ pixels: b.pixels, count: b.dims[0], isFake: b.isFake })),
      fakeIndex: data.fakeIndex,
    }, settings, {
      reconstruct: reconstructor(ctx),
      onProgress: progressNotes(note),
    });
    return { report: result.report, result };
  },

  async run(ctx, { model }, batches) {
    const gpuModel = new GpuModel(ctx, model);
    const input = model.graph.inputs[0].name;
    const output = model.graph.outputs[0].name;
    const rows: number[][] = [];
    try {
      for (const batch of batches) {
        const perImage = batch.pixels.length / batch.dims[0];
        let start = 0;
        // A model exported with a fixed batch (often 1) runs in pieces of that size.
        for (const size of batchSizes(model, batch.dims[0], batch.dims[0])) {
          const pixels = batch.pixels.subarray(start * perImage, (start + size) * perImage);
          const logits = (await gpuModel.run({ [input]: pixels }, size)).outputs[output];
          const classes = logits.data.length / size;
          for (let i = 0; i < size; i++) rows.push(Array.from(logits.data.subarray(i * classes, (i + 1) * classes)));
          start += size;
        }
      }
    } finally {
      gpuModel.dispose();
    }
    return rows;
  },
};
