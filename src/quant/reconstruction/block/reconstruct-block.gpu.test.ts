import { describe, expect, it } from 'vitest';
import { GpuModel, type HostTensor } from '../../../engine/session.ts';
import { gpuForTests, randomFloats } from '../../../gpu/testing.ts';
import { blockBoundary } from '../../../grad/blocks.ts';
import { analyzeModel } from '../../../model/summary.ts';
import { decodeModel } from '../../../onnx/decode.ts';
import { reconstructLayer } from '../adaround/reconstruct.ts';
import { fakeQuantActivations } from '../../simulation/fake-quant.ts';
import { quantGpuOps, quantReferenceOps } from '../../simulation/fake-quant-op.ts';
import { paramsForRange, type QuantParams } from '../../simulation/quantizer.ts';
import { contrastiveTerm } from '../../../grad/contrastive.ts';
import { fakeQuantWeight, simulatedModel, weightParams, type SimulationPlan } from '../../simulation/simulate.ts';
import { floatBlockOutputs, reconstructBlock, type BlockLayer, type BlockProgress } from './reconstruct-block.ts';
import { relativeError } from '../../../grad/testing.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };
const FILE = 'vit_tiny_op17.onnx';
const BLOCK = 'blocks.1';
const BITS = 3;
const IMAGES = 8;
const ITERATIONS = 100;

const model = decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${FILE}`)).arrayBuffer()));
const structure = analyzeModel(model);
const layers = structure.layers.filter((l) => structure.blocks.find((b) => b.name === BLOCK)!.layers.includes(l.name));
const boundary = blockBoundary(model, BLOCK);
const pixels = Float32Array.from(randomFloats(IMAGES * 3 * 32 * 32, 9), (v, i) => 0.6 * v + 0.3 * Math.sin(i / 97));

async function taps(ctx: Awaited<ReturnType<typeof gpuForTests>>, m: typeof model, names: string[]): Promise<Map<string, HostTensor>> {
  const g = new GpuModel(ctx, m, OPS);
  try {
    return (await g.run({ pixel_values: pixels }, IMAGES, { taps: names })).taps;
  } finally {
    g.dispose();
  }
}

/** (1/rows) Σ(y − t)² over [images, tokens, channels]. */
function blockError(y: HostTensor, t: HostTensor): number {
  let sum = 0;
  y.data.forEach((v, i) => (sum += (v - t.data[i]) ** 2));
  return sum / (y.data.length / y.dims[y.dims.length - 1]);
}

describe(`block reconstruction on the GPU (${FILE} ${BLOCK}, W${BITS}A8)`, () => {
  it('lowers the block output error below round-to-nearest and below layer-wise AdaRound at the same iterations', async () => {
    const ctx = await gpuForTests();
    const input = boundary.inputs[0];
    const output = boundary.outputs[0];
    const float = await taps(ctx, model, [input, output, ...layers.map((l) => l.input)]);
    // Per-tensor 8-bit activation quantizers on every layer input of the block, from the float ranges.
    const activations = new Map<string, QuantParams>(layers.map((l) => {
      const d = float.get(l.input)!.data as Float32Array;
      return [l.input, paramsForRange(Math.min(...d), Math.max(...d), 8)];
    }));
    const params = new Map(layers.map((l) => [l.name, weightParams(l, model.graph.initializers.get(l.weight)!, BITS)]));
    const plan = (weights?: Map<string, Float32Array>): SimulationPlan => ({
      layers: new Map(layers.map((l) => [l.name, { bits: BITS, weight: weights?.get(l.name) }])), activations,
    });
    const blockLayers: BlockLayer[] = layers.map((l) => ({ layer: l, weight: model.graph.initializers.get(l.weight)!.data as Float32Array, bits: BITS, params: params.get(l.name) }));
    const asImages = (t: HostTensor) => ({ dims: t.dims, data: t.data as Float32Array });

    const block = await reconstructBlock(ctx, {
      model: simulatedModel(model, layers, plan()), boundary, layers: blockLayers, iterations: ITERATIONS, batchImages: 8, seed: 1,
      inputs: { [input]: asImages(float.get(input)!) }, targets: { [output]: asImages(float.get(output)!) },
    });
    expect(block.cancelled).toBe(false);
    expect(block.iterations).toBe(ITERATIONS);

    // Layer-wise AdaRound on the same block, as the pipeline runs it: each layer on its own input (float upstream, through its quantizer).
    const layerwise = new Map<string, Float32Array>();
    let layerMs = 0;
    for (const l of layers) {
      const x = fakeQuantActivations(float.get(l.input)!.data as Float32Array, activations.get(l.input)!);
      const r = await reconstructLayer(ctx, {
        weight: model.graph.initializers.get(l.weight)!.data as Float32Array, layout: l.layout as 'KxN' | 'NxK',
        N: l.outFeatures, K: l.inFeatures, bits: BITS, params: params.get(l.name), xIn: x, rows: x.length / l.inFeatures, iterations: ITERATIONS, seed: 1,
      });
      layerwise.set(l.name, r.weightQ);
      layerMs += r.ms;
    }
    const target = float.get(output)!;
    const errorWith = async (weights?: Map<string, Float32Array>) => blockError((await taps(ctx, simulatedModel(model, layers, plan(weights)), [output])).get(output)!, target);
    const nearest = await errorWith();
    const learned = await errorWith(new Map(block.layers.map((o) => [o.name, o.weightQ])));
    const perLayer = await errorWith(layerwise);
    console.log(`block reconstruction ${FILE} ${BLOCK} W${BITS}A8, ${IMAGES} images, ${ITERATIONS} iterations: block output error ` +
      `nearest ${nearest.toFixed(5)}, layer-wise AdaRound ${perLayer.toFixed(5)} (${layerMs.toFixed(0)} ms), block ${learned.toFixed(5)} (${block.ms.toFixed(0)} ms, ` +
      `${(block.ms / ITERATIONS).toFixed(1)} ms/step)`);

    // The run's own measurements agree with the engine's.
    expect(Math.abs(block.loss.nearest - nearest)).toBeLessThan(1e-3 * nearest);
    expect(Math.abs(block.loss.learned - learned)).toBeLessThan(1e-3 * learned);
    expect(learned).toBeLessThan(0.8 * nearest);
    expect(learned).toBeLessThan(perLayer);
    expect(block.layers.reduce((s, o) => s + o.roundedUp + o.roundedDown, 0)).toBeGreaterThan(0);
    // The annealed regulariser pushes the soft rounding towards hard decisions.
    const history = block.loss.history;
    const firstRegularised = history.find((h) => h.iteration >= 0.2 * ITERATIONS)!;
    const last = history[history.length - 1];
    expect(last.iteration).toBe(ITERATIONS - 1);
    expect(last.reg).toBeLessThan(0.7 * firstRegularised.reg);
  });
});

describe('block reconstruction with further loss terms, cancelled', () => {
  it('reports each term\'s loss, returns round-to-nearest when cancelled, and refuses mismatched data', async () => {
    const ctx = await gpuForTests();
    const input = boundary.inputs[0];
    const output = boundary.outputs[0];
    const float = await taps(ctx, model, [input, output]);
    const data = (name: string) => ({ dims: float.get(name)!.dims, data: float.get(name)!.data as Float32Array });
    const blockLayers: BlockLayer[] = layers.map((l) => ({ layer: l, weight: model.graph.initializers.get(l.weight)!.data as Float32Array, bits: BITS }));
    const controller = new AbortController();
    const seen: BlockProgress[] = [];
    const options = {
      model, boundary, layers: blockLayers, iterations: 5000, batchImages: 4, signal: controller.signal, lossEvery: 1,
      inputs: { [input]: data(input) }, targets: { [output]: data(output) },
      losses: [contrastiveTerm({ pos1: output, pos2: output, anchors: data(output), tau: 0.5, weight: 0.5 })],
      onProgress: (p: BlockProgress) => {
        seen.push(p);
        controller.abort();
      },
    };
    const result = await reconstructBlock(ctx, options);
    expect(result.cancelled).toBe(true);
    expect(seen).toHaveLength(1);
    expect(result.iterations).toBe(seen[0].iteration);
    expect(result.iterations).toBeLessThan(5000);
    const terms = seen[0].loss!.terms;
    expect(Object.keys(terms)).toEqual(['reconstruction', 'contrastive']);
    expect(terms.reconstruction).toBeGreaterThan(0);
    expect(terms.contrastive).toBeGreaterThan(0);
    expect(result.loss.learned).toBe(result.loss.nearest);
    for (const [i, o] of result.layers.entries()) {
      const w = model.graph.initializers.get(layers[i].weight)!;
      expect(Array.from(o.weightQ)).toEqual(Array.from(fakeQuantWeight(layers[i], w, weightParams(layers[i], w, BITS))));
      expect(o.roundedUp + o.roundedDown).toBe(0);
    }
    // The float block on the given inputs is the float model's own block output when those inputs are the float model's.
    const again = (await floatBlockOutputs(ctx, model, boundary, { [input]: data(input) }))[output];
    expect(again.dims).toEqual(data(output).dims);
    expect(relativeError(again.data, data(output).data)).toBeLessThan(1e-5);
    // The targets' image count must match the inputs'.
    const short = { dims: [2, ...data(output).dims.slice(1)], data: data(output).data.subarray(0, data(output).data.length / 4) };
    await expect(reconstructBlock(ctx, { ...options, targets: { [output]: short } })).rejects.toThrow(/holds 2 images, the others 8/);
  });
});
