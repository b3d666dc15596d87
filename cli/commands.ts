/** The commands, over injectable dependencies so they can be tested without a GPU. */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { assembleExport, type ModelSidecars } from '../src/export/assemble.ts';
import { bundleFiles } from '../src/export/bundle.ts';
import { ExportError } from '../src/export/errors.ts';
import { TARGET_RULES } from '../src/export/targets.ts';
import { parseSource, serializeSource, sha256Hex, exportSourceOf, type ExportSource } from '../src/export/source.ts';
import { batchSizes } from '../src/model/input.ts';
import { DEFAULT_FAKE_INDEX, fakeClassOf, labelsFromConfig } from '../src/model/labels.ts';
import { checkBudget } from '../src/quant/feasibility.ts';
import { QuantizeFailure } from '../src/quant/pipeline/quantize.ts';
import type { QuantizeReport, QuantizeResult } from '../src/quant/report.ts';
import type { ImageDecoder } from '../src/data/decode.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { USAGE, type Command } from './args.ts';
import { quantizeSettings, type CliCore, type InputBatch } from './core.ts';
import { loadImageBatches, loadLabelledBatches, loadSampleBatches } from './images.ts';
import { CliFileError } from './errors.ts';
import { runExplain } from './explain.ts';
import { findPreprocessorConfig, loadModel, readUserFile } from './model-files.ts';
import { resolvePreprocess } from './settings.ts';
import { cliEnvironment, htmlReportFile } from './html-report.ts';
import type { AdapterSummary } from '../src/gpu/device.ts';
import type { RunEnvironment } from '../src/export/report.ts';
import type { ReportExport } from '../src/report/input.ts';
import { readSavedReport, SavedReportError } from '../src/report/saved.ts';

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

/** What R.json keeps beside the report: where the run happened and the file --out wrote. */
interface RunRecord {
  environment: RunEnvironment;
  exported?: ReportExport | null;
}

/** R.json: the report, with the codes `export` rebuilds the model from when there are any. */
function reportFile(report: QuantizeReport, source: ExportSource | null, record: RunRecord): Uint8Array {
  const extra = { ...(source ? { export: serializeSource(source) } : {}), environment: record.environment, ...(record.exported ? { exported: record.exported } : {}) };
  return new TextEncoder().encode(JSON.stringify({ ...report, ...extra }, null, 2) + '\n');
}

/** A failed run's codes; none when it failed before choosing any width. */
function partialSource(result: QuantizeResult, file: ExportSource['model']): ExportSource | null {
  try {
    return exportSourceOf(result.model, result, file);
  } catch (e) {
    if (e instanceof ExportError) return null;
    throw e;
  }
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
      for (const b of batches) batchSizes(model.model, b.dims[0], b.dims[0]); // a fixed batch the images do not fill, before the GPU
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
      const fakeIndex = fakeIndexFor(command.model, command.fakeIndex, deps.note);
      const batches = await loadLabelledBatches(command.data, options, command.batch, deps.decodeImage, fakeIndex);
      const scores = await withGpu(deps, (ctx) => deps.core.evaluate(ctx, model, batches, fakeIndex));
      if (command.json) deps.out(json(scores));
      else deps.out(`images: ${scores.n}\naccuracy: ${scores.accuracy.toFixed(4)}\nAUC: ${scores.auc.toFixed(4)}\n`);
      return 0;
    }
    case 'quantize': {
      const model = loadModel(command.model);
      // What the model and the settings alone decide is refused before any image is read.
      checkBudget(model.model, quantizeSettings(command));
      const { options, source } = resolvePreprocess(command, model.fileName, model.model, findPreprocessorConfig(command.model));
      deps.note(`preprocessing from ${source}`);
      if (!TARGET_RULES[command.target].activations) deps.note(`--target ${command.target}: activations stay in float (weights only are quantized; docs/deploy.md)`);
      const fakeIndex = fakeIndexFor(command.model, command.fakeIndex, deps.note);
      const calib = await loadSampleBatches(command.calib, options, command.batch, deps.decodeImage, command.calibImages);
      const evaluation = command.evalData ? await loadLabelledBatches(command.evalData, options, command.batch, deps.decodeImage, fakeIndex) : undefined;
      const bytes = readUserFile(command.model, 'model file');
      const file = { fileName: model.fileName, path: resolve(command.model), sha256: await sha256Hex(bytes), bytes: bytes.length };
      let outcome: Awaited<ReturnType<CliCore['quantize']>>;
      let adapter: AdapterSummary | null = null;
      try {
        outcome = await withGpu(deps, (ctx) => {
          adapter = ctx.summary;
          return deps.core.quantize(ctx, model, { calib, evaluation, fakeIndex }, command, (line) => deps.note(line));
        });
      } catch (e) {
        if (!(e instanceof QuantizeFailure)) throw e;
        // What finished is kept: the partial report (and its codes, once widths were chosen), then the failure itself.
        if (command.report) {
          await writeWhole(command.report, reportFile(e.partial.report, partialSource(e.partial, file), { environment: cliEnvironment(adapter) }));
          deps.note(`the run failed in its ${e.partial.report.failed?.stage} stage; the stages that finished (${e.partial.report.completed.join(', ')}) are in ${command.report}`);
        }
        throw e.cause;
      }
      const { report, result } = outcome;
      if (report.evaluation) deps.note(evaluationLine(report.evaluation));
      // The plan belongs to result.model: the input model, or its reparameterised equivalent.
      const exportSource = exportSourceOf(result.model, result, file);
      // Everything is made in memory first: a refused export writes neither file.
      const exported = command.out ? assembleExport(result.model, exportSource, report, command, sidecarsOf(command.model, options, fakeIndex)) : null;
      const record: RunRecord = { environment: cliEnvironment(adapter), exported: exported && command.out ? await exportedFile(exported, basename(command.out)) : null };
      if (command.report) {
        await writeWhole(command.report, reportFile(report, exportSource, record));
        deps.note(`report written to ${command.report}`);
      }
      if (command.html) {
        await writeWhole(command.html, htmlReportFile({ quantization: report, modelFiles: [{ name: file.fileName, bytes: file.bytes, sha256: file.sha256 }], export: record.exported ?? null, environment: record.environment }));
        deps.note(`HTML report written to ${command.html}`);
      }
      if (exported && command.out) {
        await writeWhole(command.out, exported.onnx);
        deps.note(`${formatSummary(exported.written.layers)} export written to ${command.out}: ${exported.onnx.length} bytes, ${(100 * exported.report.size.ratio).toFixed(1)}% of the FP32 file`);
      }
      if (command.json) deps.out(json(report));
      return 0;
    }
    case 'explain':
      return runExplain(command, deps, {
        loadModel,
        resolve: (cmd, model) => ({
          ...resolvePreprocess(cmd, model.fileName, model.model, findPreprocessorConfig(cmd.model)),
          fakeIndex: fakeIndexFor(cmd.model, cmd.fakeIndex, deps.note),
        }),
        writeJson: (path, value) => writeWhole(path, new TextEncoder().encode(compactJson(value) + '\n')),
      });
    case 'report': {
      const saved = readJsonFile(command.report);
      try {
        await writeWhole(command.html, htmlReportFile(readSavedReport(saved, `report file ${command.report}`)));
      } catch (e) {
        throw e instanceof SavedReportError ? new CliFileError(e.message) : e;
      }
      deps.note(`HTML report written to ${command.html}`);
      return 0;
    }
    case 'export': {
      const saved = readJsonFile(command.report) as { export?: unknown } & Record<string, unknown>;
      const source = parseSource(saved.export, `report file ${command.report}`);
      if (source.settings.actReparam) {
        // R.json keeps codes, not the reparameterised norms and biases they belong with.
        throw new ExportError(`report file ${command.report} comes from a run with --act-reparam, whose rescaled LayerNorms it does not keep; export that run with quantize --out instead`);
      }
      const modelPath = command.model ?? source.model.path;
      if (!modelPath) throw new CliFileError(`report file ${command.report} does not say where its model is; pass --model MODEL.onnx`);
      const bytes = readUserFile(modelPath, 'model file');
      const hash = await sha256Hex(bytes);
      if (hash !== source.model.sha256) {
        throw new CliFileError(`model file ${modelPath} is not the model ${command.report} was quantized from (sha256 ${hash.slice(0, 12)}… vs ${source.model.sha256.slice(0, 12)}…)`);
      }
      const model = loadModel(modelPath);
      const config = findPreprocessorConfig(modelPath);
      const { export: _data, environment: _environment, exported: _exported, ...quantization } = saved;
      const exported = assembleExport(model.model, source, quantization as never, command, sidecarsOf(modelPath, config?.options ?? null, fakeIndexFor(modelPath, undefined)));
      // quant_report.json names the file it describes by its hash, and where it was made.
      exported.report.size.sha256 = await sha256Hex(exported.onnx);
      exported.report.environment = cliEnvironment(null);
      await writeBundle(command.out, bundleFiles(exported.bundle));
      deps.note(`bundle written to ${command.out}: model.onnx ${exported.onnx.length} bytes (${(100 * exported.report.size.ratio).toFixed(1)}% of the FP32 file)`);
      if (command.json) deps.out(json(exported.report));
      return 0;
    }
  }
}

function readJsonFile(path: string): unknown {
  const bytes = readUserFile(path, 'report file');
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch (e) {
    throw new CliFileError(`report file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The file --out wrote, hashed, as the HTML report shows it. */
async function exportedFile(exported: ReturnType<typeof assembleExport>, name: string): Promise<ReportExport> {
  const { report } = exported;
  return {
    file: { name, bytes: exported.onnx.length, sha256: await sha256Hex(exported.onnx) },
    target: report.target, weightFormat: report.weightFormat, activations: report.activations, fpBytes: report.size.fpBytes, verification: [],
  };
}

function readJsonBeside(modelPath: string, name: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(dirname(resolve(modelPath)), name), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** --fake-index when given, else the class config.json beside the model names as fake, else 1; says so when the labels moved it from 1. */
function fakeIndexFor(modelPath: string, flag: number | undefined, note?: (text: string) => void): number {
  if (flag !== undefined) return flag;
  // Beside the model, or one folder up for the transformers.js layout (onnx/model.onnx), as preprocessing.
  const dir = dirname(resolve(modelPath));
  const config = readJsonBeside(modelPath, 'config.json') ?? (basename(dir) === 'onnx' ? readJsonBeside(dir, 'config.json') : null);
  const labels = labelsFromConfig(config);
  const found = fakeClassOf(labels);
  if (found.index !== DEFAULT_FAKE_INDEX && labels) note?.(`fake class ${found.index} ("${labels[found.index]}") as config.json names it; --fake-index overrides`);
  return found.index;
}

function sidecarsOf(modelPath: string, preprocess: ModelSidecars['preprocess'], fakeIndex: number): ModelSidecars {
  return { config: readJsonBeside(modelPath, 'config.json'), preprocessorConfig: readJsonBeside(modelPath, 'preprocessor_config.json'), preprocess, fakeIndex };
}

/** Indented JSON with arrays of numbers kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/\[[\s\d.,eE+-]*\]/g, (a) => a.replace(/\s+/g, ''));
}

/** Writes beside the target, then renames: the file appears whole or not at all. */
async function writeWhole(path: string, bytes: Uint8Array): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

/** The bundle folder appears whole or not at all; an existing non-empty folder is refused. */
async function writeBundle(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  const existing = await readdir(dir).catch(() => null);
  if (existing && existing.length > 0) throw new CliFileError(`--out ${dir} already exists and is not empty; choose a new folder`);
  const partial = `${dir.replace(/\/+$/, '')}.partial-${process.pid}`;
  try {
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(partial, path)), { recursive: true });
      await writeFile(join(partial, path), bytes);
    }
    if (existing) await rm(dir, { recursive: true });
    await rename(partial, dir);
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    throw e;
  }
}

/** "DequantizeLinear", "MatMulNBits", or "DequantizeLinear (20 layers) + MatMulNBits (5 layers)". */
function formatSummary(layers: readonly { format: string }[]): string {
  const counts = new Map<string, number>();
  for (const l of layers) {
    const kind = l.format.split(' ')[0];
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts.size <= 1 ? ([...counts.keys()][0] ?? 'float') : [...counts].map(([k, n]) => `${k} (${n} layers)`).join(' + ');
}

/** The quantized model against FP on the labelled set, in one line. */
function evaluationLine(e: NonNullable<QuantizeReport['evaluation']>): string {
  const change = e.aucChange ? ` (${e.aucChange.difference >= 0 ? '+' : ''}${e.aucChange.difference.toFixed(4)} ± ${e.aucChange.standardError.toFixed(4)}, paired)` : '';
  return `evaluation on ${e.fp.n} images: AUC ${e.fp.auc.toFixed(4)} → ${e.quantized.auc.toFixed(4)}${change}, accuracy ${e.fp.accuracy.toFixed(4)} → ${e.quantized.accuracy.toFixed(4)}, same prediction on ${(100 * e.agreement).toFixed(1)}%`;
}
