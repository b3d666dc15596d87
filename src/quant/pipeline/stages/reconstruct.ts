/**
 * Stage 'reconstruct': learned rounding (AdaRound, eq. 7-8) layer by layer through the caller's
 * Reconstructor, or (DeFakeQ with recon 'block') every layer of a recognised transformer block
 * together against the float block's output (reconstruct-block.ts), the other layers layer by
 * layer. Inputs come from the model quantized so far ('quantized') or from the float model ('fp');
 * DeFakeQ may check each block against nearest rounding.
 */
import type { HostTensor } from '../../../engine/session.ts';
import type { QuantLayer } from '../../../model/layers.ts';
import { blockOf } from '../../../model/summary.ts';
import { unfoldPatches } from '../../calibration/calibrate.ts';
import { fakeQuantActivations } from '../../simulation/fake-quant.ts';
import { jointLogitErrors } from '../../allocation/logit-errors.ts';
import { QuantizedInputs } from '../../simulation/quantized-inputs.ts';
import type { QuantParams } from '../../simulation/quantizer.ts';
import { takeImages } from '../../calibration/sample-images.ts';
import { fakeQuantWeight, simulatedModel, weightParams, type SimulationPlan } from '../../simulation/simulate.ts';
import { defineStage, type StageIo } from '../stage.ts';
import { blockData, reconstructBlockLayers } from './reconstruct-block.ts';
import { errorImages, floatLogits, OPS, type RunState } from '../state.ts';
import type { Reconstructor } from '../../reconstruction/types.ts';

type Rows = { rows: number; data: Float32Array };

export const reconstruct = defineStage({
  name: 'reconstruct',
  // With no iterations (a stage budget too small for learned rounding), every layer keeps nearest rounding.
  needed: (state) => state.settings.method !== 'rtn' && state.settings.iters > 0,
  steps: (state) => totalSteps(state),
  async run(state, io) {
    const { settings, layers, model } = state;
    if (!io.reconstruct) throw new Error(`method ${settings.method} needs a reconstructor for its learned rounding`);
    const checkRounding = settings.method === 'defakeq' && settings.roundingCheck === true;
    const images = takeImages(state.inputs.calibration, settings.reconImages);
    const input = model.graph.inputs[0].name;
    const fromQuantized = settings.reconInputs === 'quantized';
    // Each block's inputs are computed from the previous block's, not from the pixels.
    const batch = { ...images, dims: [images.count, ...(model.graph.inputs[0].shape ?? []).slice(1).map(Number)] };
    const layerInputs = new QuantizedInputs(io.ctx, OPS, input, batch, { keepShared: fromQuantized });
    // The float model's inputs to each layer, for 'float' targets; its weights never change.
    const floatInputs = settings.reconTargets === 'float' && fromQuantized ? new QuantizedInputs(io.ctx, OPS, input, batch) : null;
    const finished = new Set<number>();
    const total = totalSteps(state);
    const unit = stepUnit(state);
    for (const group of groupsOf(state)) {
      const upstream = [...finished];
      const current = fromQuantized && finished.size > 0 ? simulatedModel(model, layers.filter((_, i) => finished.has(i)), state.plan) : model;
      const members = group.members;
      if (group.block) {
        const data = await blockData(state, io, group.block, current, layerInputs, floatInputs);
        const before = finished.size * unit;
        await reconstructBlockLayers(state, io, members, upstream, data, (done) => io.step(before + done * members.length, total));
        members.forEach((i) => finished.add(i));
        io.step(finished.size * unit, total);
      } else {
        const taps = await layerInputs.taps(current, members.map((i) => layers[i].input));
        const floatTaps = floatInputs ? await floatInputs.taps(model, members.map((i) => layers[i].input)) : null;
        for (const i of members) {
          const tap = taps.get(layers[i].input)!;
          // With float inputs the taps are already the float model's: its targets skip only the activation quantizer.
          const floatTap = settings.reconTargets === 'float' ? (floatTaps ?? taps).get(layers[i].input)! : null;
          await reconstructLayer(state, io, io.reconstruct, i, tap, floatTap);
          finished.add(i);
          io.step(finished.size * unit, total);
        }
      }
      if (checkRounding) await keepBetterRounding(state, io, members.filter((i) => state.results[i].reconstructed), finished);
      if (fromQuantized) layerInputs.invalidate(current, members.map((i) => layers[i].node));
    }
  },
});

/** Whether the run learns the rounding block by block (DeFakeQ with recon 'block'). */
const blockWise = (state: RunState) => state.settings.method === 'defakeq' && state.settings.recon === 'block';

/** Progress counts layers; block by block it counts each layer's iterations, so a block's steps show. */
const stepUnit = (state: RunState) => (blockWise(state) ? Math.max(1, state.settings.iters) : 1);
const totalSteps = (state: RunState) => state.layers.length * stepUnit(state);

/**
 * The layers' indices in groups, in graph order: a recognised transformer block whose rounding is
 * learned together (block-wise runs), or the layers of one block (or one layer outside any) learned
 * one by one.
 */
function groupsOf(state: RunState): { block: string | null; members: number[] }[] {
  const { layers, structure } = state;
  const blocks = new Set(blockWise(state) ? structure.blocks.map((b) => b.name) : []);
  return [...groupedByBlock(layers)].map(([key, members]) => ({
    block: blocks.has(key) && members.every((i) => layers[i].kind !== 'conv') ? key : null, members,
  }));
}

/** The layers' indices by block (a layer outside any block is its own), in graph order. */
function groupedByBlock(layers: readonly QuantLayer[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  layers.forEach((l, i) => groups.set(blockOf(l.name) || l.name, [...(groups.get(blockOf(l.name) || l.name) ?? []), i]));
  return groups;
}

/** Learns layer i's rounding on its tapped input (and the float model's, for 'float' targets) and plans it. */
async function reconstructLayer(state: RunState, io: StageIo, reconstruct: Reconstructor, i: number, tap: HostTensor, floatTap: HostTensor | null): Promise<void> {
  const { settings, plan, results } = state;
  const l = state.layers[i];
  const range = results[i].range;
  const bits = state.bits[i];
  const weight = state.model.graph.initializers.get(l.weight)!;
  const params = weightParams(l, weight, bits, range);
  const rows = layerRows(l, weight.dims);
  if (!rows) {
    // A grouped or dilated Conv is not one matmul over unfolded patches: it keeps nearest rounding.
    plan.layers.set(l.name, { bits, range, weight: fakeQuantWeight(l, weight, params) });
    return;
  }
  // Eq. 7, ||Wx - W~x||^2: the targets are the float weight on the same inputs as the rounding's,
  // unless they are the float model's own outputs.
  const x = rows(asDeployed(tap, plan.activations?.get(l.input)));
  const xTarget = floatTap ? rows(floatTap) : x;
  const out = await reconstruct({
    layer: l, weight: weight.data as Float32Array, bits, params, xIn: x, xFp: xTarget,
    iterations: settings.iters, seed: settings.seed + i, signal: io.signal,
  });
  const result = out instanceof Float32Array ? { weightQ: out, roundedUp: null, roundedDown: null } : out;
  plan.layers.set(l.name, { bits, range, weight: result.weightQ });
  results[i].reconstructed = true;
  results[i].roundedUp = result.roundedUp;
  results[i].roundedDown = result.roundedDown;
  // Kept even where it is above nearest's: on the face detector, reverting such a layer moved the logits more.
  if ('loss' in result && result.loss) results[i].reconstructionLoss = result.loss;
}

/**
 * The block's learned rounding against nearest rounding, on the logits: the model with every
 * finished layer quantized as planned, once as learned and once with the block's layers at nearest
 * rounding. The block keeps whichever moves the logits less.
 */
async function keepBetterRounding(state: RunState, io: StageIo, block: number[], finished: ReadonlySet<number>): Promise<void> {
  if (block.length === 0) return;
  const { layers, plan, results, model } = state;
  const upstream = layers.filter((_, i) => finished.has(i));
  const nearest: SimulationPlan = { ...plan, layers: new Map(plan.layers) };
  for (const i of block) nearest.layers.set(layers[i].name, { bits: state.bits[i], range: results[i].range });
  const [learnedError, nearestError] = await jointLogitErrors(
    io.ctx, OPS, await floatLogits(state, io.ctx), [simulatedModel(model, upstream, plan), simulatedModel(model, upstream, nearest)], errorImages(state),
  );
  for (const i of block) {
    results[i].roundingCheck = { learned: learnedError, nearest: nearestError };
    if (learnedError <= nearestError) continue;
    plan.layers.set(layers[i].name, nearest.layers.get(layers[i].name)!);
    results[i].reconstructed = false;
    results[i].roundedUp = null;
    results[i].roundedDown = null;
  }
}

/**
 * A layer's input as the quantized model computes with it: through its activation quantizer when it
 * has one. The rounding is learned on what the layer will see, not on the float tap before it.
 */
function asDeployed(tap: HostTensor, act: QuantParams | undefined): HostTensor {
  return act ? { ...tap, data: fakeQuantActivations(tap.data as Float32Array, act) } : tap;
}

/**
 * A layer's input as matmul rows [rows, inFeatures]: as it is for MatMul/Gemm, unfolded into
 * patches for a Conv (its weight, out x in·kh·kw, is then the matmul's N x K). Undefined for a
 * grouped or dilated Conv, which is not a single such product.
 */
function layerRows(layer: QuantLayer, weightDims: readonly number[]): ((t: HostTensor) => Rows) | undefined {
  if (layer.kind !== 'conv') return (t) => ({ rows: t.data.length / layer.inFeatures, data: t.data as Float32Array });
  const ints = (name: string) => {
    const a = layer.node.attrs[name];
    return a?.type === 'ints' ? a.value : a?.type === 'int' ? [a.value] : undefined;
  };
  const group = ints('group')?.[0] ?? 1;
  const dilated = (ints('dilations') ?? []).some((d) => d !== 1);
  const autoPad = layer.node.attrs.auto_pad;
  const padded = autoPad?.type === 'string' && autoPad.value !== 'NOTSET';
  if (group !== 1 || dilated || padded || weightDims.length !== 4) return undefined;
  return (t) => unfoldPatches(t.data as Float32Array, t.dims, layer, [...weightDims]);
}
