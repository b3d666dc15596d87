/**
 * Scores ONNX files in onnxruntime-node (bench/ort-eval.ts) on a labelled image folder (real/,
 * fake/) and prints each file's AUC and its ratio to the first file's: VEFT's acceptance check
 * (docs/veft.md), "the exported file keeps at least 0.95 of the FP model's AUC".
 * Run: node --import ./cli/register.mjs bench/ort-auc.ts --data DIR FP.onnx Q1.onnx [Q2.onnx ...]
 * Preprocessing: preprocessor_config.json beside the first file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { labelledSet } from '../src/data/dataset.ts';
import { filesFromDirectory } from '../src/data/fs-node.ts';
import { preprocessorFromConfig, VIT_DEFAULTS, type PreprocessOptions } from '../src/data/preprocess.ts';
import { faceBatches } from './faces.ts';
import { ortScores } from './ort-eval.ts';

const { values, positionals } = parseArgs({ options: { data: { type: 'string' } }, allowPositionals: true });
if (!values.data || positionals.length === 0) {
  console.error('usage: bench/ort-auc.ts --data DIR FP.onnx [Q.onnx ...]');
  process.exit(2);
}
const config = join(dirname(positionals[0]), 'preprocessor_config.json');
const pre: PreprocessOptions = existsSync(config)
  ? preprocessorFromConfig(JSON.parse(readFileSync(config, 'utf8')), config)
  : { size: [128, 128], mean: VIT_DEFAULTS.mean, std: VIT_DEFAULTS.std, rescale: VIT_DEFAULTS.rescale, resize: true };
const images = labelledSet(await filesFromDirectory(values.data, { recursive: true }), values.data).images;
const batches = await faceBatches(images, pre);
let first: number | null = null;
for (const file of positionals) {
  const scores = await ortScores(new Uint8Array(readFileSync(file)), batches, [3, ...pre.size]);
  first ??= scores.auc;
  console.log(`${file}: AUC ${scores.auc.toFixed(4)} (${(scores.auc / first).toFixed(3)} of the first), accuracy ${scores.accuracy.toFixed(3)}, ${scores.n} images`);
}
