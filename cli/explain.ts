/**
 * `explain MODEL --images DIR --out DIR [--quantized Q.onnx] [--method ...]`: relevance maps of
 * every image, drawn at the image's size, with maps.json; with a quantized model, its maps, the
 * difference and their agreement block by block. What finished is kept if a later image fails.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listImages } from '../src/data/dataset.ts';
import type { DecodedImage, ImageDecoder } from '../src/data/decode.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { fitGeometry, preprocess, type PreprocessOptions } from '../src/data/preprocess.ts';
import { GpuModel } from '../src/engine/session.ts';
import { explainImages, gpuScorer, type ExplainedImage, type ExplainModel } from '../src/explain/explain.ts';
import { faithfulness } from '../src/explain/faithfulness.ts';
import { assertDifferentiable, gpuAttentionGradients } from '../src/explain/gradients.ts';
import { analyzeModel } from '../src/model/summary.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import type { Command } from './args.ts';
import type { CliDeps } from './commands.ts';
import { agreementJson, heatmapStems, modelJson, writeHeatmaps } from './explain-output.ts';
import type { LoadedModel } from './model-files.ts';

export type ExplainCommand = Extract<Command, { kind: 'explain' }>;

interface ImageEntry {
  json: Record<string, unknown>;
  similarity: Record<string, unknown> | null;
}

function explainModel(ctx: GpuContext, loaded: LoadedModel): ExplainModel {
  return { gpu: new GpuModel(ctx, loaded.model), structure: analyzeModel(loaded.model) };
}

async function faithfulnessOf(model: ExplainModel, explained: ExplainedImage['fp'], pixels: Float32Array, fakeIndex: number) {
  return faithfulness(explained.explanation.model, explained.layout.stages[0], pixels, explained.layout.input, gpuScorer(model.gpu, fakeIndex));
}

/** Mean agreement over the images, block by block and for the whole model. */
function summary(similarity: Record<string, unknown>[]) {
  const rows = similarity as unknown as { model: { spearman: number | null; topKOverlap: number }; blocks: { label: string; spearman: number | null; topKOverlap: number }[] }[];
  const mean = (xs: (number | null)[]) => {
    const known = xs.filter((x): x is number => x !== null);
    return known.length ? Number((known.reduce((a, b) => a + b, 0) / known.length).toPrecision(6)) : null;
  };
  return {
    images: rows.length,
    model: { spearman: mean(rows.map((r) => r.model.spearman)), topKOverlap: mean(rows.map((r) => r.model.topKOverlap)) },
    blocks: (rows[0]?.blocks ?? []).map((b, i) => ({ label: b.label, spearman: mean(rows.map((r) => r.blocks[i].spearman)), topKOverlap: mean(rows.map((r) => r.blocks[i].topKOverlap)) })),
  };
}

interface ExplainInputs {
  command: ExplainCommand;
  fp: LoadedModel;
  quantized: LoadedModel | null;
  options: PreprocessOptions;
  fakeIndex: number;
  decode: ImageDecoder;
}

/** Explain every image of the folder, a batch at a time; `done` receives each image's entry as it is written. */
async function explainFolder(ctx: GpuContext, inputs: ExplainInputs, done: (entry: ImageEntry) => void, line: (text: string) => void): Promise<void> {
  const { command, options, fakeIndex } = inputs;
  const files = listImages(await filesFromDirectory(command.images), command.images);
  const stems = heatmapStems(files.map((f) => f.name));
  const fp = explainModel(ctx, inputs.fp);
  const q = inputs.quantized ? explainModel(ctx, inputs.quantized) : null;
  try {
    for (let start = 0; start < files.length; start += command.batch) {
      const chunk = files.slice(start, start + command.batch);
      const decoded: DecodedImage[] = [];
      for (const f of chunk) decoded.push(await inputs.decode(await f.read(), f.name));
      const pixels = preprocess(decoded, options);
      const perImage = pixels.length / chunk.length;
      const explained = await explainImages(fp, q, pixels, chunk.length, { method: command.method, fakeIndex, capabilities: { gradients: gpuAttentionGradients(ctx) } }, command.batch);
      for (let i = 0; i < chunk.length; i++) {
        const e = explained[i];
        const image = decoded[i];
        const own = pixels.subarray(i * perImage, (i + 1) * perImage);
        const heatmaps = await writeHeatmaps(command.out, stems[start + i], image, e, fitGeometry(image.width, image.height, options));
        const fpFaith = command.faithfulness ? await faithfulnessOf(fp, e.fp, own, fakeIndex) : null;
        const qFaith = command.faithfulness && q && e.quantized ? await faithfulnessOf(q, e.quantized, own, fakeIndex) : null;
        const name = chunk[i].name;
        const similarity = e.comparison && { image: name, model: agreementJson(e.comparison.model), blocks: e.comparison.blocks.map((b) => ({ label: b.label, ...agreementJson(b) })) };
        done({
          json: { image: name, width: image.width, height: image.height, ...heatmaps, fp: modelJson(e.fp, fpFaith), ...(e.quantized ? { quantized: modelJson(e.quantized, qFaith) } : {}) },
          similarity,
        });
        const agreement = e.comparison ? `\tfake ${e.quantized!.score.toFixed(4)}\trank correlation ${e.comparison.model.spearman?.toFixed(4) ?? 'n/a'}\ttop-${e.comparison.model.topK} overlap ${e.comparison.model.topKOverlap.toFixed(2)}` : '';
        line(`${name}\tfake ${e.fp.score.toFixed(4)}${agreement}`);
      }
    }
  } finally {
    fp.gpu.dispose();
    q?.gpu.dispose();
  }
}

export interface ExplainDeps {
  loadModel: (path: string) => LoadedModel;
  resolve: (command: ExplainCommand, model: LoadedModel) => { options: PreprocessOptions; source: string; fakeIndex: number };
  writeJson: (path: string, value: unknown) => Promise<void>;
}

export async function runExplain(command: ExplainCommand, deps: CliDeps, io: ExplainDeps): Promise<number> {
  const fp = io.loadModel(command.model);
  const quantized = command.quantized ? io.loadModel(command.quantized) : null;
  const { options, source, fakeIndex } = io.resolve(command, fp);
  if (command.method === 'gradient') {
    // A model the backward pass cannot go through is refused before anything is written.
    for (const { model } of [fp, ...(quantized ? [quantized] : [])]) {
      assertDifferentiable(model, analyzeModel(model).attention.map((c) => c.probs), { output: model.graph.outputs[0].name, index: fakeIndex });
    }
  }
  deps.note(`preprocessing from ${source}`);
  await mkdir(command.out, { recursive: true });
  const images: Record<string, unknown>[] = [];
  const similarity: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const document = (incomplete?: string) => ({
    method: command.method, model: command.model, ...(command.quantized ? { quantized: command.quantized } : {}), fakeIndex, images,
    ...(quantized ? { similarity, summary: summary(similarity) } : {}), ...(incomplete ? { incomplete } : {}),
  });
  const gpu = await deps.openGpu();
  try {
    await explainFolder(gpu.ctx, { command, fp, quantized, options, fakeIndex, decode: deps.decodeImage }, (entry) => {
      images.push(entry.json);
      if (entry.similarity) similarity.push(entry.similarity);
    }, (text) => lines.push(text));
  } catch (e) {
    // The images that finished stay: their heatmaps are written, and maps.json says where it stopped.
    if (images.length > 0) await io.writeJson(join(command.out, 'maps.json'), document(e instanceof Error ? e.message : String(e)));
    throw e;
  } finally {
    gpu.close();
  }
  await io.writeJson(join(command.out, 'maps.json'), document());
  deps.note(`${images.length} heatmaps and maps.json written to ${command.out}`);
  deps.out(command.json ? JSON.stringify(document()) + '\n' : lines.join('\n') + '\n');
  return 0;
}
