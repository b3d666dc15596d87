/**
 * Fidelity benchmark: the face detector in ../shared/data, calibrated on 256 faces and evaluated on
 * the others, for FP, round-to-nearest (min/max and MSE ranges), uniform AdaRound, DeFakeQ with the
 * paper's settings and DeFakeQ with the exact solver on logit errors (the default); `--methods ...,measured`
 * adds the exact solver on each layer's own output error.
 *
 * Budgets are compared at equal bytes: budget "W4" means the stored bits per weight of every layer at
 * 4 bits, scales, zero points and biases included (e.g. 4.358 on vit_faces with float16 biases). Uniform methods then
 * land on exactly 4 bits and DeFakeQ mixes widths within the same bytes; the bytes column shows
 * it. `--stored` reads the budgets as stored bits per weight instead (then `--avg-bits 4` leaves a
 * uniform model at 3 bits, as `quantize --avg-bits 4` does).
 *
 * Calibration, the error tables and the FP reconstruction targets are computed once and
 * shared by every row (QuantizeCache).
 *
 * Evaluation: by default every row, FP included, is scored by exporting it (src/export, DequantizeLinear
 * per channel, uint8 activation Q/DQ) and running the file in onnxruntime-node on the CPU (bench/ort-eval.ts);
 * the file equals the float64 CPU simulation to ~1e-7. `--eval gpu` scores the GPU simulation instead
 * (as the studio does; slow on a software adapter, and an activation code can flip at a rounding
 * boundary). The "sim Δ" column is the largest |logit| difference between the file in onnxruntime and
 * the GPU simulation on the first evaluation batch.
 *
 * Run: npm run bench:fidelity [-- --eval-images N --calib-images N --iters N --budgets 3,4,6,4a4
 *      --methods rtn,rtn-mse,adaround,paper,exact[,measured,exact-minmax,exact-mse,exact-float,noveft,veft-every,veft-fixed,block,block-noveft]
 *      --baseline KEY (paired differences against this row; default adaround) --weight-range auto|minmax|mse --recon-targets same|float --seeds 0,1 --stored --eval ort|gpu --progress
 *      --model OTHER.onnx --fake-index I --data DIR]   (another detector: tools/train_detectors.py makes one;
 *      its preprocessor_config.json and config.json beside it are used when present; DIR holds faces/real, faces/fake)
 * Skips politely when ../shared/data is not there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrationSplit, evenly, faceBatches, loadFaces } from './faces.ts';
import { GpuModel } from '../src/engine/session.ts';
import { createGpuContext } from '../src/gpu/device.ts';
import { analyzeModel } from '../src/model/summary.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { score } from '../src/quant/evaluation/evaluate.ts';
import { quantGpuOps, quantReferenceOps } from '../src/quant/simulation/fake-quant-op.ts';
import { quantizeModel } from '../src/quant/pipeline/quantize.ts';
import type { QuantizeCache } from '../src/quant/pipeline/types.ts';
import { uniformBudget } from '../src/quant/allocation/uniform.ts';
import type { LayerResult } from '../src/quant/report.ts';
import { DEFAULT_SETTINGS, PAPER_SETTINGS, type QuantizeSettings } from '../src/quant/settings.ts';
import { reconstructor } from '../src/quant/reconstruction/reconstructor.ts';
import { nodeGpu } from '../cli/node-gpu.ts';
import { exportOnnx } from '../src/export/export.ts';
import { exportSourceOf } from '../src/export/source.ts';
import { agreement, type Scores } from '../src/quant/evaluation/evaluate.ts';
import { aucContrast, fakeScore, pairedAucDifference, type AucDifference } from '../src/data/metrics.ts';
import { ORT_EVALUATION, ortScores } from './ort-eval.ts';
import { fakeClassOf, labelsFromConfig } from '../src/model/labels.ts';

const { values } = parseArgs({
  options: {
    'eval-images': { type: 'string' },
    'calib-images': { type: 'string' },
    iters: { type: 'string' },
    budgets: { type: 'string' },
    methods: { type: 'string' },
    stored: { type: 'boolean' },
    data: { type: 'string' },
    eval: { type: 'string' },
    progress: { type: 'boolean' },
    model: { type: 'string' },
    'weight-range': { type: 'string' },
    seeds: { type: 'string' },
    'recon-targets': { type: 'string' },
    'fake-index': { type: 'string' },
    baseline: { type: 'string' },
  },
});
const DATA = values.data ?? join(import.meta.dirname, '../../shared/data');
// Another detector on the same faces and preprocessing, e.g. one tools/train_detectors.py made.
const MODEL = values.model ?? join(DATA, 'models/vit_faces.onnx');
if ((values.model === undefined && !existsSync(MODEL)) || !existsSync(join(DATA, 'faces'))) {
  console.log(`bench:fidelity skipped: ${DATA} (models/vit_faces.onnx and faces/) is not here.`);
  process.exit(0);
}
if (!existsSync(MODEL)) throw new Error(`--model ${MODEL}: no such file`);
const modelName = basename(MODEL);

const evalMode = values.eval ?? 'ort';
if (evalMode !== 'ort' && evalMode !== 'gpu') throw new Error(`--eval takes ort or gpu, got "${evalMode}"`);
const calibCount = Number(values['calib-images'] ?? 256);
const evalLimit = values['eval-images'] ? Number(values['eval-images']) : Infinity;
const iters = Number(values.iters ?? DEFAULT_SETTINGS.iters);
// Weight budgets with 8-bit activations; "4a4" is W4A4.
const configs = (values.budgets ?? '3,4,6,4a4').split(',').map((token) => {
  const m = /^(\d+)(?:a(\d+))?$/i.exec(token.trim());
  if (!m) throw new Error(`--budgets takes widths like 4 or 4a4, got "${token}"`);
  const bits = Number(m[1]);
  const actBits = m[2] ? Number(m[2]) : 8;
  return { label: `W${bits}A${actBits}`, bits, actBits };
});

const METHODS: Record<string, { name: string; settings: QuantizeSettings }> = {
  rtn: { name: 'RTN (min/max)', settings: { ...DEFAULT_SETTINGS, method: 'rtn', actRange: 'minmax', weightRange: 'minmax' } },
  'rtn-mse': { name: 'RTN (MSE ranges)', settings: { ...DEFAULT_SETTINGS, method: 'rtn', actRange: 'mse', weightRange: 'mse' } },
  adaround: { name: 'AdaRound (uniform)', settings: { ...DEFAULT_SETTINGS, method: 'adaround' } },
  paper: { name: 'DeFakeQ (paper: relaxed, 2^-b)', settings: PAPER_SETTINGS },
  exact: { name: 'DeFakeQ (exact, logits)', settings: DEFAULT_SETTINGS },
  measured: { name: 'DeFakeQ (exact, layer output)', settings: { ...DEFAULT_SETTINGS, error: 'measured' } },
  // The default with one weight range everywhere; their logit tables are the ones 'auto' chooses from (cached).
  'exact-minmax': { name: 'DeFakeQ (exact, logits, min/max)', settings: { ...DEFAULT_SETTINGS, weightRange: 'minmax' } },
  'exact-mse': { name: 'DeFakeQ (exact, logits, MSE)', settings: { ...DEFAULT_SETTINGS, weightRange: 'mse' } },
  // The default aimed at the float model's outputs (asymmetric reconstruction); shares the default's logit tables.
  'exact-float': { name: 'DeFakeQ (exact, logits, float targets)', settings: { ...DEFAULT_SETTINGS, reconTargets: 'float' } },
  // VEFT's ablations (docs/veft.md): 'exact' is the default, with VEFT (random selection while tuning)
  // where the allocation measured its float channels worth their bytes; 'veft-every' restores them in every block activation.
  'veft-every': { name: 'DeFakeQ (VEFT, every activation)', settings: { ...DEFAULT_SETTINGS, veftChannels: 'every' } },
  noveft: { name: 'DeFakeQ (no VEFT)', settings: { ...DEFAULT_SETTINGS, veft: false } },
  'veft-fixed': { name: 'DeFakeQ (VEFT, fixed selection)', settings: { ...DEFAULT_SETTINGS, veftSelection: 'fixed' } },
  block: { name: 'DeFakeQ (block recon, VEFT)', settings: { ...DEFAULT_SETTINGS, recon: 'block' } },
  'block-noveft': { name: 'DeFakeQ (block recon, no VEFT)', settings: { ...DEFAULT_SETTINGS, recon: 'block', veft: false } },
};
// Overrides the weight ranges of every row but those that name their own (RTN, exact-minmax, exact-mse).
const weightRange = values['weight-range'];
if (weightRange !== undefined) {
  if (weightRange !== 'auto' && weightRange !== 'minmax' && weightRange !== 'mse') throw new Error(`--weight-range takes auto, minmax or mse, got "${weightRange}"`);
  for (const k of ['adaround', 'paper', 'exact', 'measured']) METHODS[k].settings = { ...METHODS[k].settings, weightRange };
}
// The targets of every learned row's reconstruction (see QuantizeSettings.reconTargets).
const reconTargets = values['recon-targets'];
if (reconTargets !== undefined) {
  if (reconTargets !== 'same' && reconTargets !== 'float') throw new Error(`--recon-targets takes same or float, got "${reconTargets}"`);
  for (const k of Object.keys(METHODS)) if (METHODS[k].settings.method !== 'rtn') METHODS[k].settings = { ...METHODS[k].settings, reconTargets };
}
const methodKeys = (values.methods ?? 'rtn,rtn-mse,adaround,paper,exact').split(',');
// The row the paired differences are taken against (uniform AdaRound unless --baseline names another, e.g. noveft).
const baselineKey = values.baseline ?? 'adaround';
if (!METHODS[baselineKey]) throw new Error(`--baseline ${baselineKey}: not a method`);
for (const k of methodKeys) if (!METHODS[k]) throw new Error(`unknown method ${k}; expected ${Object.keys(METHODS).join(',')}`);
// Each seed reruns every row (its own observer samples and reconstruction batches): how far a method moves between runs.
const seeds = (values.seeds ?? String(DEFAULT_SETTINGS.seed)).split(',').map((t) => {
  const seed = Number(t);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seeds takes non-negative integers, got "${t}"`);
  return seed;
});

const modelBytes = new Uint8Array(readFileSync(MODEL));
const model = decodeModel(modelBytes, { fileName: modelName });
// Another detector's own side files when it has them, else the face detector's.
const sidecar = (name: string) => [join(dirname(MODEL), name), join(DATA, 'models', name)].find((p) => existsSync(p));
const configPath = sidecar('config.json');
const labels = configPath ? labelsFromConfig(JSON.parse(readFileSync(configPath, 'utf8'))) : null;
const preprocessorPath = sidecar('preprocessor_config.json');
if (!preprocessorPath) throw new Error(`${modelName}: no preprocessor_config.json beside it or in ${join(DATA, 'models')}`);
const fakeIndex = values['fake-index'] !== undefined ? Number(values['fake-index']) : fakeClassOf(labels).index;
if (fakeIndex !== 0 && fakeIndex !== 1) throw new Error(`--fake-index takes 0 or 1, got "${values['fake-index']}"`);
const { faces, pre } = await loadFaces(DATA, preprocessorPath);
if (fakeIndex !== 1) console.log(`fake class: ${fakeIndex}${labels ? ` ("${labels[fakeIndex]}")` : ''}`);
const { calibration: calibFaces, heldOut } = calibrationSplit(faces, calibCount);
const evalPicked = Number.isFinite(evalLimit) ? evenly(heldOut, evalLimit) : heldOut;

const ctx = await createGpuContext(await nodeGpu());
const calibration = (await faceBatches(calibFaces, pre)).map(({ pixels, count }) => ({ pixels, count }));
const evaluation = await faceBatches(evalPicked, pre);
console.log(`${modelName} on ${ctx.summary.vendor} ${ctx.summary.architecture}: calibrate on ${calibFaces.length} faces, evaluate on ${evalPicked.length}, ${iters} rounding iterations`);
console.log(`rows evaluated by ${evalMode === 'ort' ? `exporting each to ONNX and running it in ${ORT_EVALUATION}` : 'the studio engine on the GPU simulation (fake-quant graph on Dawn)'}`);

const cache: QuantizeCache = {};
const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const inputDims = [3, pre.size[0], pre.size[1]];
const started = performance.now();
const onProgress = values.progress
  ? (e: { stage: string; step: number; total: number }) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${e.stage} ${e.step}/${e.total}`)
  : undefined;
let t0 = performance.now();
let fp: Scores;
if (evalMode === 'ort') {
  fp = await ortScores(modelBytes, evaluation, inputDims, fakeIndex);
} else {
  const fpModel = new GpuModel(ctx, model, OPS);
  fp = await score(fpModel, evaluation, fakeIndex);
  cache.fpScores = fp;
  fpModel.dispose();
}
const fpMs = performance.now() - t0;
const fpBytes = analyzeModel(model).totalParams * 4;

/** Largest |logit| difference between a file in onnxruntime and the GPU simulation, on the first evaluation batch. */
async function simulationGap(simulated: typeof model, logits: number[][]): Promise<number> {
  const g = new GpuModel(ctx, simulated, OPS);
  try {
    const batch = evaluation[0];
    const out = (await g.run({ [simulated.graph.inputs[0].name]: batch.pixels }, batch.count)).outputs[simulated.graph.outputs[0].name].data;
    const classes = out.length / batch.count;
    let worst = 0;
    for (let i = 0; i < batch.count; i++) for (let j = 0; j < classes; j++) worst = Math.max(worst, Math.abs(out[i * classes + j] - logits[i][j]));
    return worst;
  } finally {
    g.dispose();
  }
}

/** Mean over images of the squared change of the centred logits from FP's: steadier than AUC between close rows. */
function logitError(logits: number[][]): number {
  // A single output (a sigmoid's logit) is not centred: all of its change counts, as in the logits error model.
  const centred = (y: number[]) => (y.length === 1 ? y : y.map((v) => v - y.reduce((a, b) => a + b, 0) / y.length));
  let sum = 0;
  logits.forEach((y, i) => {
    const a = centred(y);
    const b = centred(fp.logits[i]);
    a.forEach((v, j) => (sum += (v - b[j]) ** 2));
  });
  return sum / logits.length;
}

/** How the learned rounding did on its own objective (eq. 7's error against nearest rounding's), over the layers that learned one. */
function reconstructionSummary(layers: LayerResult[]): string | undefined {
  const losses = layers.flatMap((l) => (l.reconstructionLoss ? [{ name: l.name, ...l.reconstructionLoss }] : []));
  if (losses.length === 0) return undefined;
  const below = losses.filter((l) => l.learned < l.nearest).length;
  const total = (key: 'nearest' | 'learned') => losses.reduce((a, l) => a + l[key], 0);
  const worst = losses.reduce((w, l) => (l.learned / l.nearest > w.learned / w.nearest ? l : w));
  return `${below}/${losses.length} layers below nearest rounding; summed loss learned/nearest ${(total('learned') / total('nearest')).toFixed(3)}, worst layer ${worst.name} ${(worst.learned / worst.nearest).toFixed(3)}`;
}

/** `key`: the METHODS entry a quantized row ran. */
interface Row { setting: string; method: string; key?: string; seed?: number; auc?: number; accuracy?: number; agreement?: number; dlogit?: number; bytes?: number; avgBits?: number; seconds: number; failure?: string; stages?: string; gap?: number; widths?: string; fakeScores?: number[]; recon?: string }
const rows: Row[] = [{ setting: 'FP32', method: 'FP', auc: fp.auc, accuracy: fp.accuracy, agreement: 1, dlogit: 0, bytes: fpBytes, avgBits: 32, seconds: fpMs / 1000 }];
const isFake = evaluation.flatMap((b) => b.isFake);

const reconstruct = reconstructor(ctx);
const format = (r: Row): string[] => r.failure
  ? [r.setting, r.method, 'failed', '', '', '', '', '', '', '', r.seconds.toFixed(1), r.failure]
  : [r.setting, r.method, r.auc!.toFixed(4), (r.auc! / fp.auc).toFixed(3), r.accuracy!.toFixed(4), r.agreement!.toFixed(3),
      r.dlogit === undefined ? '-' : r.dlogit.toExponential(2),
      String(Math.round(r.bytes!)), (r.bytes! / fpBytes).toFixed(4), r.avgBits!.toFixed(3), r.seconds.toFixed(1),
      r.gap === undefined ? '-' : r.gap.toExponential(1), r.widths ?? '', r.stages ?? ''];
const header = ['setting', 'method', 'AUC', 'AUC/FP', 'accuracy', 'agree', 'Δlogit²', 'bytes', 'bytes/FP', 'bits/w', 'wall s', 'sim Δ', 'widths', 'stage s'];
console.log(header.join('  '));
console.log(format(rows[0]).join('  '));

for (const c of configs) {
  const budget = values.stored ? c.bits : uniformBudget(model, c.bits, { floatParams: DEFAULT_SETTINGS.floatParams });
  const setting = values.stored ? c.label : `${c.label} (${budget.toFixed(3)} b/w)`;
  for (const seed of seeds) for (const key of methodKeys) {
    const m = METHODS[key];
    const settings: QuantizeSettings = { ...m.settings, avgBits: budget, actBits: c.actBits, iters, seed };
    const method = seeds.length > 1 ? `${m.name} seed ${seed}` : m.name;
    t0 = performance.now();
    let row: Row;
    let gate: string | undefined;
    try {
      const result = await quantizeModel(ctx, model, { calibration, evaluation: evalMode === 'gpu' ? evaluation : undefined, fakeIndex, cache }, settings, { reconstruct, onProgress });
      const { report } = result;
      const mse = report.layers.filter((l) => l.bits < 32 && l.range === 'mse').length;
      const widths = report.layers.map((l) => (l.bits >= 32 ? 'F' : String(l.bits))).join('') + (mse > 0 ? ` (${mse} MSE ranges)` : '');
      const recon = reconstructionSummary(report.layers);
      if (report.veftGate) gate = report.veftGate.candidates.map((c, i) => `${i === report.veftGate!.kept ? '*' : ''}${c.label} ${c.logitError.toExponential(2)}`).join(', ');
      const stages = Object.entries(report.timings).map(([k, ms]) => `${k.slice(0, 5)} ${(ms! / 1000).toFixed(0)}`).join(' ');
      if (evalMode === 'ort') {
        const file = exportOnnx(result.model, exportSourceOf(result.model, result, { fileName: modelName, sha256: '', bytes: modelBytes.length }), { target: 'wasm', format: 'qdq' });
        const q = await ortScores(file.bytes, evaluation, inputDims, fakeIndex);
        const gap = await simulationGap(result.simulated, q.logits);
        row = { setting, method, key, seed, auc: q.auc, accuracy: q.accuracy, agreement: agreement(fp.logits, q.logits), dlogit: logitError(q.logits), bytes: report.modelBytes, avgBits: report.avgBits, seconds: (performance.now() - t0) / 1000, stages, gap, widths, fakeScores: q.logits.map((l) => fakeScore(l, fakeIndex)), recon };
      } else {
        const q = report.evaluation!.quantized;
        row = { setting, method, key, seed, auc: q.auc, accuracy: q.accuracy, agreement: report.evaluation!.agreement, bytes: report.modelBytes, avgBits: report.avgBits, seconds: (performance.now() - t0) / 1000, stages, widths, recon };
      }
    } catch (e) {
      row = { setting, method, key, seed, seconds: (performance.now() - t0) / 1000, failure: (e as Error).message.slice(0, 80) };
    }
    rows.push(row);
    console.log(format(row).join('  '));
    if (gate) console.log(`  VEFT's measured activations: ${gate}`);
  }
}

const table = [header, ...rows.map(format)];
const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
console.log('');
for (const r of table) console.log(r.map((v, i) => (i < 2 || i === header.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));

// How far apart two AUCs can be by chance on this many faces (Hanley & McNeil 1982, one model's).
const fakes = evaluation.reduce((n, b) => n + b.isFake.filter(Boolean).length, 0);
const reals = evaluation.reduce((n, b) => n + b.count, 0) - fakes;
const q1 = fp.auc / (2 - fp.auc);
const q2 = (2 * fp.auc ** 2) / (1 + fp.auc);
const aucError = Math.sqrt((fp.auc * (1 - fp.auc) + (fakes - 1) * (q1 - fp.auc ** 2) + (reals - 1) * (q2 - fp.auc ** 2)) / (fakes * reals));
console.log('');
console.log(`AUC standard error at FP's AUC on ${fakes} fake and ${reals} real faces: ${aucError.toFixed(4)}; Δlogit² (mean squared change of the centred logits from FP's) is the steadier ranking between close rows.`);

const learnedRows = rows.filter((r) => r.recon);
if (learnedRows.length) console.log(`\nLearned rounding on its own objective, eq. 7's ‖Wx − W~x‖² per layer:\n${learnedRows.map((r) => `${r.setting} ${r.method}: ${r.recon}`).join('\n')}`);

// Close rows compared on the same faces: the difference from uniform AdaRound and its paired error.
const find = (setting: string, key: string) => rows.find((r) => r.setting.startsWith(setting) && r.key === key && r.seed === seeds[0] && !r.failure);
const versusAdaRound = (r: Row) => {
  const ada = rows.find((a) => a.setting === r.setting && a.seed === r.seed && a.key === baselineKey && a.fakeScores);
  return ada && r.fakeScores && r !== ada ? pairedAucDifference(r.fakeScores, ada.fakeScores!, isFake) : undefined;
};
/** One row's paired AUC difference, as printed: below one pair in a billion, a difference is float noise in the means. */
function pairLine(r: Row, d: AucDifference, note = ''): string {
  const difference = Math.abs(d.difference) < 1e-9 ? 0 : d.difference;
  return `  ${r.setting.padEnd(22)} ${r.method.padEnd(40)} ${difference >= 0 ? '+' : ''}${difference.toExponential(1)} ± ${d.standardError.toExponential(1)} (z ${(difference / (d.standardError || Infinity)).toFixed(1)})${note}`;
}
// Each quantized row against FP on the same faces: whether quantizing moved the AUC beyond chance at all.
const fpScores = fp.logits.map((l) => fakeScore(l, fakeIndex));
const versusFp = rows.flatMap((r) => (r.fakeScores ? [pairLine(r, pairedAucDifference(r.fakeScores, fpScores, isFake), `; agreement ${r.agreement!.toFixed(3)}`)] : []));
if (versusFp.length) console.log(`\nAUC minus FP's on the same faces, ± its paired (DeLong) standard error:\n${versusFp.join('\n')}`);
const paired = rows.flatMap((r) => {
  const d = versusAdaRound(r);
  return d ? [pairLine(r, d)] : [];
});
if (paired.length) console.log(`\nAUC minus ${METHODS[baselineKey].name}'s (same seed) on the same faces, ± its paired (DeLong) standard error:\n${paired.join('\n')}`);

// Run to run: the same method and budget at another seed, against the first seed's run.
const rerun = rows.flatMap((r) => {
  const first = r.seed !== seeds[0] && r.fakeScores
    ? rows.find((a) => a.setting === r.setting && a.seed === seeds[0] && a.key === r.key && a.fakeScores)
    : undefined;
  return first ? [pairLine(r, pairedAucDifference(r.fakeScores!, first.fakeScores!, isFake), `; Δlogit² ${r.dlogit?.toExponential(2)} vs ${first.dlogit?.toExponential(2)}`)] : [];
});
if (rerun.length) console.log(`\nAUC at another seed minus at seed ${seeds[0]} (same method and budget), ± its paired standard error:\n${rerun.join('\n')}`);

// Over all seeds: each method's mean AUC minus uniform AdaRound's mean, on the same faces. Its DeLong
// error is the faces'; the spread of the per-seed differences is the runs'.
if (seeds.length > 1) {
  const lines: string[] = [];
  for (const setting of [...new Set(rows.map((r) => r.setting))]) {
    const runsOf = (key: string) => seeds.map((seed) => rows.find((r) => r.setting === setting && r.seed === seed && r.key === key && r.fakeScores));
    const ada = runsOf(baselineKey);
    if (ada.some((r) => !r)) continue;
    for (const key of methodKeys.filter((k) => k !== baselineKey)) {
      const runs = runsOf(key);
      if (runs.some((r) => !r)) continue;
      const share = 1 / seeds.length;
      const d = aucContrast([...runs, ...ada].map((r) => r!.fakeScores!), [...runs.map(() => share), ...ada.map(() => -share)], isFake);
      const perSeed = runs.map((r, i) => pairedAucDifference(r!.fakeScores!, ada[i]!.fakeScores!, isFake).difference);
      const runSpread = Math.sqrt(perSeed.reduce((s, x) => s + (x - d.difference) ** 2, 0) / (perSeed.length - 1) / perSeed.length);
      const meanLogit = (rs: (Row | undefined)[]) => rs.reduce((s, r) => s + r!.dlogit!, 0) / rs.length;
      const overSeeds = { ...runs[0]!, method: runs[0]!.method.replace(/ seed \d+$/, ` over ${seeds.length} seeds`) };
      lines.push(pairLine(overSeeds, d, `; runs ± ${runSpread.toExponential(1)}; mean Δlogit² ${meanLogit(runs).toExponential(2)} vs ${meanLogit(ada).toExponential(2)}`));
    }
  }
  if (lines.length) console.log(`\nMean over seeds ${seeds.join(',')} of AUC minus ${METHODS[baselineKey].name}'s, ± the faces' (DeLong) error; "runs ±" is the error from the seeds' spread:\n${lines.join('\n')}`);
}

// The issue's targets, checked on this run.
console.log('');
const check = (what: string, ok: boolean | undefined) => console.log(`${ok === undefined ? 'n/a ' : ok ? 'yes ' : 'NO  '} ${what}`);
const relative = (r: Row | undefined) => (r ? r.auc! / fp.auc : undefined);
check('W4A8 DeFakeQ (exact, logits) AUC >= 99% of FP', relative(find('W4A8', 'exact')) !== undefined ? relative(find('W4A8', 'exact'))! >= 0.99 : undefined);
check('W3A8 DeFakeQ (exact, logits) AUC >= 95% of FP', relative(find('W3A8', 'exact')) !== undefined ? relative(find('W3A8', 'exact'))! >= 0.95 : undefined);
for (const c of configs) {
  const ada = find(c.label, 'adaround');
  for (const variant of ['paper', 'exact']) {
    const d = find(c.label, variant);
    // versusAdaRound compares with the --baseline row: only AdaRound's gap belongs in this line.
    const gap = d && baselineKey === 'adaround' ? versusAdaRound(d) : undefined;
    const noise = gap && ada && d!.auc! < ada.auc! ? ` (by ${(-gap.difference).toExponential(1)}, ${(-gap.difference / (gap.standardError || Infinity)).toFixed(1)} paired standard errors)` : '';
    check(`${c.label} ${METHODS[variant].name} AUC >= AdaRound's at <= its bytes${noise}`, d && ada ? d.auc! >= ada.auc! && d.bytes! <= ada.bytes! + 1 : undefined);
  }
  const learned = rows.filter((r) => r.setting.startsWith(c.label) && !r.failure && !r.method.startsWith('RTN'));
  const rtn = rows.filter((r) => r.setting.startsWith(c.label) && !r.failure && r.method.startsWith('RTN'));
  check(`${c.label} no RTN row above the best learned row`, learned.length && rtn.length ? Math.max(...rtn.map((r) => r.auc!)) <= Math.max(...learned.map((r) => r.auc!)) : undefined);
}
process.exit(0);
