import { labelledSet, listImages } from '../data/dataset.ts';
import { decodeImageBrowser } from '../data/decode-browser.ts';
import { preprocess } from '../data/preprocess.ts';
import { GpuModel } from '../engine/session.ts';
import { assembleExport } from '../export/assemble.ts';
import { bundleZip } from '../export/bundle.ts';
import { ExportError } from '../export/errors.ts';
import { ortWeb, WEB_RUNTIMES } from '../export/ort-web.ts';
import { exportReport } from '../export/report.ts';
import { exportSourceOf, sha256Hex } from '../export/source.ts';
import { verifyExport, type Verification, type VerifyImages } from '../export/verify.ts';
import { quantGpuOps, quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { studioEnvironment } from './environment.ts';
import { fpModelFile } from './run-export.ts';
import type { ExportApi, ExportStatus, FileInput } from './export-api.ts';
import { errorMessage, openSession, workerState } from './state.ts';

const BATCH = 8;

/** The images, preprocessed, with the simulated quantized model's logits (and labels when the paths have real/ and fake/). */
async function verificationImages(files: FileInput[]): Promise<VerifyImages> {
  const { opened, preprocess: options, fakeIndex } = workerState.current!;
  const result = workerState.lastResult!;
  if (!options) throw new Error('The image size is unknown for this model; add its preprocessor_config.json.');
  const sources = listImages(files.map((f) => ({ name: f.name, read: async () => f.bytes })), 'the verification images');
  let labels: Map<string, boolean> | null = null;
  try {
    labels = new Map(labelledSet(sources, 'the verification images').images.map((i) => [i.file.name, i.isFake]));
  } catch {
    labels = null; // not a labelled set: no AUC
  }
  const ctx = (await openSession()).context;
  const simulated = new GpuModel(ctx, result.simulated, { reference: quantReferenceOps, gpu: quantGpuOps });
  const input = opened.model.graph.inputs[0].name;
  const output = opened.model.graph.outputs[0].name;
  const batches: { pixels: Float32Array; count: number }[] = [];
  const rows: number[][] = [];
  try {
    for (let start = 0; start < sources.length; start += BATCH) {
      const chunk = sources.slice(start, start + BATCH);
      const decoded = [];
      for (const s of chunk) decoded.push(await decodeImageBrowser(await s.read(), s.name));
      const pixels = preprocess(decoded, options);
      batches.push({ pixels, count: chunk.length });
      const data = (await simulated.run({ [input]: pixels }, chunk.length)).outputs[output].data;
      const classes = data.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) rows.push(Array.from(data.subarray(i * classes, (i + 1) * classes)));
    }
  } finally {
    simulated.dispose();
  }
  return {
    batches, dims: [3, options.size[0], options.size[1]], simulated: rows, fakeIndex,
    isFake: labels && sources.every((s) => labels!.has(s.name)) ? sources.map((s) => labels!.get(s.name)!) : undefined,
  };
}

/** Worker side of ExportApi; reads the open model and the last result from workerState. */
export const exportService: ExportApi = {
  async exportModel(request): Promise<ExportStatus> {
    try {
      const current = workerState.current;
      if (!current) throw new ExportError('Open a model first.');
      const result = workerState.lastResult;
      if (!result) throw new ExportError('Nothing to export yet: quantize the model first.');
      const { opened } = current;
      // The page keeps the decoded model, not its file: the FP32 size and hash are the re-encoded model's.
      const fp = await fpModelFile();
      // The plan belongs to result.model: the open model, or its reparameterised equivalent.
      const source = exportSourceOf(result.model, result, fp.info);
      const sidecars = { config: current.config, preprocess: current.preprocess, fakeIndex: current.fakeIndex };
      const assembled = assembleExport(result.model, source, result.report, request, sidecars);
      const verification: Verification[] = [];
      if (request.images.length) {
        const images = await verificationImages(request.images);
        for (const { ep, runtime } of WEB_RUNTIMES) {
          verification.push(await verifyExport(await ortWeb(ep), runtime, ep, assembled.onnx, images, { fp: fp.bytes }));
        }
      }
      const report = exportReport(source, assembled.written, assembled.onnx.length, result.report, verification);
      report.size.sha256 = await sha256Hex(assembled.onnx);
      report.environment = await studioEnvironment();
      workerState.lastExport = { result, onnx: assembled.onnx, report };
      const reportBytes = new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n');
      const zip = bundleZip({ ...assembled.bundle, report });
      const baseName = `${opened.fileName.replace(/\.onnx$/i, '')}_${source.settings.avgBits}bit_${assembled.written.target}`;
      return { ok: true, report, files: { onnx: assembled.onnx, report: reportBytes, zip, baseName } };
    } catch (error) {
      return { ok: false, message: errorMessage(error), layers: error instanceof ExportError ? error.layers : [] };
    }
  },
};
