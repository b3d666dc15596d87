/** The commands, over injectable dependencies so they can be tested without a GPU. */
import { writeFile } from 'node:fs/promises';
import type { ImageDecoder } from '../src/data/decode.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { USAGE, type Command } from './args.ts';
import type { CliCore, InputBatch } from './core.ts';
import { loadImageBatches, loadLabelledBatches, loadSampleBatches } from './images.ts';
import { findPreprocessorConfig, loadModel } from './model-files.ts';
import { resolvePreprocess } from './settings.ts';

export interface CliDeps {
  core: CliCore;
  decodeImage: ImageDecoder;
  /** A GPU context and how to release it (main: Dawn through nodeGpu()). */
  openGpu: () => Promise<{ ctx: GpuContext; close(): void }>;
  out: (text: string) => void;
  /** Notes for humans (never with --json). */
  note: (text: string) => void;
}

const json = (value: unknown) => JSON.stringify(value) + '\n';

async function withGpu<T>(deps: CliDeps, work: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const gpu = await deps.openGpu();
  try {
    return await work(gpu.ctx);
  } finally {
    gpu.close();
  }
}

function gpuText(ctx: GpuContext): string {
  const s = ctx.summary;
  return [
    `adapter: ${s.description || s.device || 'unnamed'} (${s.vendor}, ${s.architecture})${s.isFallbackAdapter ? ' [fallback/software]' : ''}`,
    `features: ${s.features.join(', ') || 'none'}`,
    ...Object.entries(s.limits).map(([k, v]) => `${k}: ${v}`),
  ].join('\n') + '\n';
}

/** Every row present and finite: a partial or broken result must not pass as a whole one. */
function checkLogits(logits: number[][], batches: InputBatch[]): void {
  const names = batches.flatMap((b) => b.images);
  if (logits.length !== names.length) throw new Error(`the engine returned ${logits.length} rows of logits for ${names.length} images`);
  logits.forEach((row, i) => {
    if (!row.every(Number.isFinite)) throw new Error(`the model produced non-finite logits for ${names[i]}: ${row.join(', ')}`);
  });
}

export async function execute(command: Command, deps: CliDeps): Promise<number> {
  switch (command.kind) {
    case 'help':
      deps.out(USAGE + '\n');
      return 0;
    case 'gpu':
      await withGpu(deps, async (ctx) => deps.out(command.json ? json(ctx.summary) : gpuText(ctx)));
      return 0;
    case 'inspect': {
      const model = loadModel(command.model);
      const report = await deps.core.inspect(model);
      deps.out(command.json ? json(report.json) : report.text.endsWith('\n') ? report.text : report.text + '\n');
      return 0;
    }
    case 'run': {
      const model = loadModel(command.model);
      const { options, source } = resolvePreprocess(command, model.fileName, model.model, findPreprocessorConfig(command.model));
      if (!command.json) deps.note(`preprocessing from ${source}`);
      const batches = await loadImageBatches(command.images, options, command.batch, deps.decodeImage);
      const logits = await withGpu(deps, (ctx) => deps.core.run(ctx, model, batches));
      checkLogits(logits, batches);
      const images = batches.flatMap((b) => b.images);
      if (command.json) deps.out(json({ images, logits }));
      else deps.out(images.map((name, i) => `${name}\t${logits[i]!.map((v) => v.toFixed(6)).join('\t')}`).join('\n') + '\n');
      return 0;
    }
    case 'eval': {
      const model = loadModel(command.model);
      const { options, source } = resolvePreprocess(command, model.fileName, model.model, findPreprocessorConfig(command.model));
      if (!command.json) deps.note(`preprocessing from ${source}`);
      const batches = await loadLabelledBatches(command.data, options, command.batch, deps.decodeImage, command.fakeIndex);
      const scores = await withGpu(deps, (ctx) => deps.core.evaluate(ctx, model, batches, command.fakeIndex));
      if (command.json) deps.out(json(scores));
      else deps.out(`images: ${scores.n}\naccuracy: ${scores.accuracy.toFixed(4)}\nAUC: ${scores.auc.toFixed(4)}\n`);
      return 0;
    }
    case 'quantize': {
      const model = loadModel(command.model);
      const { options, source } = resolvePreprocess(command, model.fileName, model.model, findPreprocessorConfig(command.model));
      deps.note(`preprocessing from ${source}`);
      const calib = await loadSampleBatches(command.calib, options, command.batch, deps.decodeImage, command.calibImages);
      const evaluation = command.evalData ? await loadLabelledBatches(command.evalData, options, command.batch, deps.decodeImage, command.fakeIndex) : undefined;
      const report = await withGpu(deps, (ctx) => deps.core.quantize(ctx, model, { calib, evaluation, fakeIndex: command.fakeIndex }, command, (line) => deps.note(line)));
      await writeFile(command.report, JSON.stringify(report, null, 2) + '\n');
      deps.note(`report written to ${command.report}`);
      if (command.json) deps.out(json(report));
      return 0;
    }
  }
}
