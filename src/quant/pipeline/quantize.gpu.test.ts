import { describe, expect, it } from 'vitest';
import { runReference } from '../../engine/cpu/executor.ts';
import { GpuModel } from '../../engine/session.ts';
import { gpuForTests, randomFloats } from '../../gpu/testing.ts';
import { decodeModel } from '../../onnx/decode.ts';
import type { Model } from '../../onnx/ir.ts';
import { onnxOps } from '../../onnx/ops/index.ts';
import { buildModel, valueInfo } from '../../onnx/testing.ts';
import { fakeQuantNode, quantGpuOps, quantReferenceOps } from '../simulation/fake-quant-op.ts';
import { adaroundReconstructor } from '../reconstruction/adaround/pipeline-adapter.ts';
import { QuantizeFailure, quantizeModel } from './quantize.ts';
import type { Reconstructor } from '../reconstruction/types.ts';
import type { QuantizeCache } from './types.ts';
import { STAGES } from '../report.ts';
import { DEFAULT_SETTINGS, type QuantizeSettings } from '../settings.ts';
import { analyzeModel, blockOf } from '../../model/summary.ts';
import { paramsForRange } from '../simulation/quantizer.ts';
import { simulatedWeight } from '../simulation/simulate.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const calibration = [
  { pixels: Float32Array.from(ref.inputs['3']), count: 3 },
  { pixels: Float32Array.from(ref.inputs['1']), count: 1 },
];
const evaluation = [{ pixels: Float32Array.from(ref.inputs['3']), count: 3, isFake: [true, false, true] }];
// VEFT off: these runs check the other stages (src/export/veft.gpu.test.ts covers it).
const settings = (over: Partial<QuantizeSettings>): QuantizeSettings => ({ ...DEFAULT_SETTINGS, method: 'rtn', veft: false, ...over });

async function logitsOf(m: Model): Promise<Float32Array> {
  const g = new GpuModel(await gpuForTests(), m, OPS);
  try {
    return (await g.run({ pixel_values: calibration[0].pixels }, 3)).outputs.logits.data as Float32Array;
  } finally {
    g.dispose();
  }
}

describe('activation fake quantization', () => {
  it('matches the CPU quantizer on the GPU', async () => {
    const p = paramsForRange(-0.7, 1.3, 5);
    const m = buildModel({
      nodes: [fakeQuantNode('fq', 'x', 'y', p)],
      inputs: [valueInfo('x', ['N', 257])],
      outputs: [valueInfo('y', ['N', 257])],
    });
    m.opsets.push({ domain: 'ai.defakeq', version: 1 });
    const x = randomFloats(2 * 257, 9).map((v) => v * 1.5);
    const g = new GpuModel(await gpuForTests(), m, OPS);
    const got = (await g.run({ x }, 2)).outputs.y.data;
    g.dispose();
    const want = runReference(m, { x: { dtype: 'float32', dims: [2, 257], data: Float64Array.from(x) } }, { ops: { ...onnxOps, ...quantReferenceOps } }).outputs.y.data;
    let mismatches = 0;
    got.forEach((v, i) => {
      if (Math.abs(v - want[i]) > 1e-6) {
        mismatches++;
        // Only a value at a rounding tie may land one level apart (f32 division is not exact in WGSL).
        expect(Math.abs(v - want[i])).toBeLessThanOrEqual(p.scale * 1.0001);
      }
    });
    expect(mismatches).toBeLessThanOrEqual(2);
  });
});

describe('the quantization pipeline on a fixture', () => {
  it('at 8 bits keeps the model close to FP, and reports every layer', async () => {
    const ctx = await gpuForTests();
    const { report, simulated, scores } = await quantizeModel(ctx, model, { calibration, evaluation }, settings({ candidates: [8], avgBits: 10, actBits: null }));
    expect(report.layers).toHaveLength(10);
    expect(report.layers.every((l) => l.bits === 8 && l.score > 0 && (l.sqnr ?? 0) > 25)).toBe(true);
    expect(report.avgBits).toBeLessThanOrEqual(10);
    expect(report.modelBytes).toBeLessThan(report.fpBytes / 2.5);
    expect(report.completed).toEqual(['calibrate', 'score', 'allocate', 'evaluate']);
    expect(report.evaluation?.agreement).toBe(1);
    // Two fake faces and one real are too few to pair the AUCs.
    expect(report.evaluation?.aucChange).toBeNull();
    const fp = await logitsOf(model);
    const q = await logitsOf(simulated);
    fp.forEach((v, i) => expect(Math.abs(v - q[i])).toBeLessThan(0.05));
    // The result keeps the logits the report's figures were computed from, one row per labelled image.
    expect(scores?.logits).toHaveLength(report.evaluation!.quantized.n);
    expect(scores?.auc).toBe(report.evaluation!.quantized.auc);
  });

  it('hurts more at 2 bits with 4-bit activations', async () => {
    const ctx = await gpuForTests();
    const high = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [8], avgBits: 10, actBits: 8 }));
    const low = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [2], avgBits: 10, actBits: 4 }));
    const mean = (r: typeof high) => r.report.layers.reduce((s, l) => s + (l.sqnr ?? 0), 0) / r.report.layers.length;
    expect(mean(low)).toBeLessThan(mean(high) - 10);
  });

  it('allocates mixed widths under the budget with the importance scores', async () => {
    const ctx = await gpuForTests();
    const { report } = await quantizeModel(ctx, model, { calibration }, settings({ method: 'defakeq', solver: 'exact', error: 'measured', avgBits: 5 }), {
      reconstruct: async ({ weight }) => weight, // learned rounding is tested with its own kernels
    });
    expect(report.avgBits).toBeLessThanOrEqual(5);
    expect(new Set(report.layers.map((l) => l.bits)).size).toBeGreaterThan(1);
    expect(report.allocation?.solver).toBe('exact');
    expect(report.allocation?.averageBits).toBeCloseTo(report.avgBits, 6);
  });

  it("with 'auto' weight ranges, DeFakeQ gives each layer the range whose logit error at its width is lower; uniform runs use min/max", async () => {
    const ctx = await gpuForTests();
    const cache: QuantizeCache = {};
    const hooks = { reconstruct: (async ({ weight }) => weight) satisfies Reconstructor };
    const { report, plan } = await quantizeModel(ctx, model, { calibration, cache }, settings({ method: 'defakeq', avgBits: 4, weightRange: 'auto', errorImages: 2 }), hooks);
    const tables = new Map([...(cache.measured ?? [])].map(([key, t]) => [key.includes(':mse:') ? 'mse' : 'minmax', t]));
    expect([...tables.keys()].sort()).toEqual(['minmax', 'mse']);
    const minmax = tables.get('minmax')!;
    const mse = tables.get('mse')!;
    report.layers.forEach((l, i) => {
      const b = minmax.candidates.indexOf(l.bits);
      expect(l.range).toBe(mse.errors[i][b] < minmax.errors[i][b] ? 'mse' : 'minmax');
      expect(plan.layers.get(l.name)?.range).toBe(l.range);
    });
    // The allocation's objective is the sum of the lower errors at the chosen widths.
    const lower = report.layers.reduce((s, l, i) => s + Math.min(minmax.errors[i][minmax.candidates.indexOf(l.bits)], mse.errors[i][mse.candidates.indexOf(l.bits)]), 0);
    expect(report.allocation?.objective).toBeCloseTo(lower, 10);
    const uniform = await quantizeModel(ctx, model, { calibration }, settings({ method: 'rtn', avgBits: 4, weightRange: 'auto' }), hooks);
    expect(uniform.report.layers.every((l) => l.range === 'minmax' && uniform.plan.layers.get(l.name)?.range === 'minmax')).toBe(true);
  });

  it('cancelled mid-run, returns what it finished and a usable model', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    const { report, simulated } = await quantizeModel(ctx, model, { calibration, evaluation }, settings({ candidates: [4], avgBits: 10 }), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === 'evaluate') controller.abort();
      },
    });
    expect(report.cancelled).toBe(true);
    expect(report.completed).toEqual(['calibrate', 'score', 'allocate']);
    expect(report.layers.every((l) => l.bits === 4)).toBe(true);
    const q = await logitsOf(simulated);
    expect(q.every(Number.isFinite)).toBe(true);
  });

  it('failing mid-reconstruction (an engine error), throws the cause with what finished: a partial report and a usable model', async () => {
    const ctx = await gpuForTests();
    const cause = new Error('the adapter gave up');
    let calls = 0;
    const reconstruct: Reconstructor = async ({ weight }) => {
      if (++calls === 3) throw cause;
      return weight.map((v) => v * 0.9);
    };
    const run = quantizeModel(ctx, model, { calibration, evaluation }, settings({ method: 'adaround', candidates: [4], avgBits: 10, iters: 1 }), { reconstruct });
    const failure = await run.then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(QuantizeFailure);
    const { partial } = failure as QuantizeFailure;
    expect((failure as QuantizeFailure).cause).toBe(cause);
    expect(partial.report.failed).toEqual({ stage: 'reconstruct', message: 'the adapter gave up' });
    expect(partial.report.cancelled).toBe(false);
    expect(partial.report.completed).toEqual(['calibrate', 'score', 'allocate']);
    expect(partial.report.layers.map((l) => l.reconstructed).slice(0, 3)).toEqual([true, true, false]);
    expect(partial.report.layers.every((l) => l.bits === 4)).toBe(true);
    const q = await logitsOf(partial.simulated);
    expect(q.every(Number.isFinite)).toBe(true);
  });

  it('cancelled during calibration, leaves the float model', async () => {
    const ctx = await gpuForTests();
    const controller = new AbortController();
    controller.abort();
    const { report, simulated } = await quantizeModel(ctx, model, { calibration }, settings({}), { signal: controller.signal });
    expect(report.cancelled).toBe(true);
    expect(report.completed).toEqual([]);
    expect(simulated).toBe(model);
  });

  it('reconstructs the patch-embedding Conv as a matmul on unfolded patches, and reports up/down counts', async () => {
    const ctx = await gpuForTests();
    const conv = analyzeModel(model).layers.find((l) => l.kind === 'conv')!;
    const adaround = adaroundReconstructor(ctx);
    let convJob: Parameters<Reconstructor>[0] | undefined;
    const reconstruct: Reconstructor = (job) => {
      if (job.layer.kind === 'conv') convJob = job;
      return adaround(job);
    };
    const { report } = await quantizeModel(ctx, model, { calibration }, settings({ method: 'adaround', candidates: [3], avgBits: 10, iters: 20, reconImages: 3, actBits: null }), { reconstruct });
    expect(convJob).toBeDefined();
    const { xFp } = convJob!;
    // The unfolded rows times the flattened weight are the Conv's own output (bias added).
    const g = new GpuModel(ctx, model, OPS);
    const y = (await g.run({ pixel_values: calibration[0].pixels }, 3, { taps: [conv.output] })).taps.get(conv.output)!;
    g.dispose();
    const [B, N, OH, OW] = y.dims;
    const P = OH * OW;
    expect(xFp.rows).toBe(B * P);
    const w = model.graph.initializers.get(conv.weight)!.data as Float32Array;
    const bias = model.graph.initializers.get(conv.bias!)!.data as Float32Array;
    const K = conv.inFeatures;
    let worst = 0;
    for (const row of [0, 7, P + 3, xFp.rows - 1]) {
      for (const n of [0, 5, N - 1]) {
        let dot = bias[n];
        for (let k = 0; k < K; k++) dot += xFp.data[row * K + k] * w[n * K + k];
        const b = Math.floor(row / P);
        worst = Math.max(worst, Math.abs(dot - y.data[(b * N + n) * P + (row % P)]));
      }
    }
    expect(worst).toBeLessThan(1e-3);
    const layer = report.layers.find((l) => l.name === conv.name)!;
    expect(layer.reconstructed).toBe(true);
    expect(report.layers.every((l) => l.reconstructed && l.roundedUp !== null && l.roundedDown !== null)).toBe(true);
    expect(report.layers.some((l) => (l.roundedUp ?? 0) + (l.roundedDown ?? 0) > 0)).toBe(true);
    // Each layer reports eq. 7's error with nearest and with learned rounding; learning lowers their sum.
    const losses = report.layers.map((l) => l.reconstructionLoss!);
    expect(losses.every((r) => r.nearest > 0 && r.learned >= 0)).toBe(true);
    expect(losses.reduce((s, r) => s + r.learned, 0)).toBeLessThan(losses.reduce((s, r) => s + r.nearest, 0));
  });

  it('DeFakeQ keeps nearest rounding for a block whose learned rounding moves the logits more; AdaRound keeps what it learned', async () => {
    const ctx = await gpuForTests();
    const harmful = analyzeModel(model).layers.find((l) => l.name.includes('blocks.1') && l.name.includes('fc2'))!;
    // Exact weights everywhere (better than any rounding), except one layer negated (far worse).
    const reconstruct: Reconstructor = async ({ layer, weight }) => ({
      weightQ: layer.name === harmful.name ? weight.map((v) => -v) : weight, roundedUp: 1, roundedDown: 1,
    });
    const run = (method: 'defakeq' | 'adaround', roundingCheck?: boolean) =>
      quantizeModel(ctx, model, { calibration }, settings({ method, candidates: [3], avgBits: 10, iters: 1, actBits: null, errorImages: 4, roundingCheck }), { reconstruct });
    const checked = await run('defakeq', true);
    const block = (name: string) => blockOf(name) || name;
    for (const l of checked.report.layers) {
      const check = l.roundingCheck!;
      expect(check, l.name).toBeDefined();
      const reverted = block(l.name) === block(harmful.name);
      expect(l.reconstructed, l.name).toBe(!reverted);
      expect(check.learned > check.nearest, l.name).toBe(reverted);
      if (reverted) expect(l.roundedUp).toBeNull();
    }
    const plain = await run('adaround', true);
    expect(plain.report.layers.every((l) => l.reconstructed && l.roundingCheck === undefined)).toBe(true);
    // Off by default: DeFakeQ keeps what it learned, harmful or not.
    const unchecked = await run('defakeq');
    expect(unchecked.report.layers.every((l) => l.reconstructed && l.roundingCheck === undefined)).toBe(true);
    // The reverted block carries nearest rounding into the model: it matches RTN there, not the negated weight.
    const rtn = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [3], avgBits: 10, actBits: null }));
    const w = (r: typeof rtn) => simulatedWeight(r.simulated, harmful);
    expect(Array.from(w(checked))).toEqual(Array.from(w(rtn)));
    expect(Array.from(w(plain))).not.toEqual(Array.from(w(rtn)));
  });

  it('learns the rounding on the activations a layer will see: its input through its activation quantizer', async () => {
    const ctx = await gpuForTests();
    const jobsAt = async (actBits: number | null) => {
      const jobs: Parameters<Reconstructor>[0][] = [];
      const reconstruct: Reconstructor = async (job) => (jobs.push(job), job.weight);
      await quantizeModel(ctx, model, { calibration }, settings({ method: 'adaround', candidates: [4], avgBits: 10, iters: 1, actBits }), { reconstruct });
      return jobs;
    };
    const a4 = await jobsAt(4);
    const float = await jobsAt(null);
    expect(a4).toHaveLength(10);
    a4.forEach(({ layer, xIn, xFp }, i) => {
      expect(new Set(xIn.data).size, layer.name).toBeLessThanOrEqual(16);
      expect(new Set(float[i].xIn.data).size, layer.name).toBeGreaterThan(16);
      // Eq. 7: the targets W·x are taken on the same inputs.
      expect(xFp.data).toBe(xIn.data);
    });
  });

  it('leaves up/down counts null for round-to-nearest, and runs the stages in STAGES order', async () => {
    const ctx = await gpuForTests();
    const { report } = await quantizeModel(ctx, model, { calibration }, settings({ candidates: [4], avgBits: 10 }));
    expect(report.layers.every((l) => l.roundedUp === null && l.roundedDown === null && !l.reconstructed && !l.reconstructionLoss)).toBe(true);
    expect(report.completed).toEqual(STAGES.filter((s) => s !== 'reconstruct' && s !== 'reparameterize' && s !== 'veft'));
  });

  it('computes calibration, measured errors and the FP evaluation once when runs share a cache', async () => {
    const ctx = await gpuForTests();
    const cache: QuantizeCache = {};
    const over = settings({ method: 'defakeq', solver: 'exact', error: 'measured', avgBits: 5 });
    const hooks = { reconstruct: (async ({ weight }) => weight) satisfies Reconstructor };
    const first = await quantizeModel(ctx, model, { calibration, evaluation, cache }, over, hooks);
    const calibrated = [...(cache.calibration?.values() ?? [])][0];
    expect(calibrated).toBeDefined();
    expect(cache.measured?.size).toBe(1);
    expect(cache.fpScores?.n).toBe(3);
    const second = await quantizeModel(ctx, model, { calibration, evaluation, cache }, over, hooks);
    expect([...(cache.calibration?.values() ?? [])]).toEqual([calibrated]);
    expect(second.report.layers.map((l) => l.bits)).toEqual(first.report.layers.map((l) => l.bits));
    expect(second.report.evaluation).toEqual(first.report.evaluation);
    const alone = await quantizeModel(ctx, model, { calibration, evaluation }, over, hooks);
    expect(alone.report.layers.map((l) => l.bits)).toEqual(first.report.layers.map((l) => l.bits));
  });

  it('shares the logit error tables across seeds (fixed images, float model), but not the calibration', async () => {
    const ctx = await gpuForTests();
    const cache: QuantizeCache = {};
    const hooks = { reconstruct: (async ({ weight }) => weight) satisfies Reconstructor };
    const at = (seed: number) => settings({ method: 'defakeq', solver: 'exact', error: 'logits', errorImages: 3, avgBits: 5, seed });
    const seen: number[] = [];
    const first = await quantizeModel(ctx, model, { calibration, evaluation, cache }, at(0), hooks);
    const tables = [...(cache.measured?.keys() ?? [])];
    expect(tables.length).toBeGreaterThan(0);
    const second = await quantizeModel(ctx, model, { calibration, evaluation, cache }, at(1), {
      ...hooks, onProgress: (e) => e.stage === 'allocate' && seen.push(e.step),
    });
    expect([...(cache.measured?.keys() ?? [])]).toEqual(tables);
    expect(cache.calibration?.size).toBe(2);
    // The cached table leaves only the joint check against uniform widths to measure.
    expect(seen.length).toBeLessThanOrEqual(2);
    const alone = await quantizeModel(ctx, model, { calibration, evaluation }, at(1), hooks);
    expect(second.report.layers.map((l) => l.bits)).toEqual(alone.report.layers.map((l) => l.bits));
    expect(first.report.allocation?.objective).toBeCloseTo(alone.report.allocation!.objective, 12);
  });
});
