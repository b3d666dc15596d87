/**
 * One block's VEFT tuning (stage 'veft'): the block's rounding learned again, from its
 * reconstructed rounding as the baseline, on L_rec + γ2·L_ver (eq. 9-10; L_hor has no gradient
 * with the widths fixed) while each image of each submit of steps restores, besides the fixed set,
 * as many random other channels (the paper's random selection). The tuned rounding is kept when its
 * block output error with the fixed set is below the baseline's.
 */
import { rng } from '../../calibration/observers.ts';
import { floatBlockOutputs, reconstructBlock, type BlockLossRecord } from '../../reconstruction/block/reconstruct-block.ts';
import type { VeftLossPoint, VeftReport } from '../../report.ts';
import type { QuantizedInputs } from '../../simulation/quantized-inputs.ts';
import { zeroRestoredColumns } from '../../simulation/restored.ts';
import { simulatedModel, weightParams, type SimulationPlan } from '../../simulation/simulate.ts';
import { maskedModel, type MaskInput } from '../../veft/masked-model.ts';
import { DEFAULT_VEFT } from '../../veft/channels.ts';
import { verticalTerm } from '../../veft/vertical-term.ts';
import type { Model } from '../../../onnx/ir.ts';
import type { StageIo } from '../stage.ts';
import type { RunState } from '../state.ts';
import { blockData } from './reconstruct-block.ts';

/** gamma1 and gamma2 of eq. 10 (paper 5.1). */
export const GAMMA = { horizontal: 0.5, vertical: 0.5 } as const;

export interface BlockJob {
  block: string;
  members: number[];
  fixed: ReadonlyMap<string, readonly number[]>;
  counts: readonly number[];
  /** The plan before VEFT: the all-integer model (HAQ's), for the positive P1. */
  before: SimulationPlan;
  layerInputs: QuantizedInputs;
  floatInputs: QuantizedInputs | null;
}

/** Per image, 1 at the fixed channels and (while tuning) `extra` random others; keep = 1 − restore. */
function maskData(mask: MaskInput, images: number, fixed: readonly number[], extra: number, random: (() => number) | null): { keep: Float32Array<ArrayBuffer>; restore: Float32Array<ArrayBuffer> } {
  const K = mask.inFeatures;
  const restore = new Float32Array(images * K);
  const others = Array.from({ length: K }, (_, k) => k).filter((k) => !fixed.includes(k));
  for (let r = 0; r < images; r++) {
    for (const k of fixed) restore[r * K + k] = 1;
    if (!random) continue;
    for (let j = 0; j < Math.min(extra, others.length); j++) {
      const pick = j + Math.floor(random() * (others.length - j));
      [others[j], others[pick]] = [others[pick], others[j]];
      restore[r * K + others[j]] = 1;
    }
  }
  return { keep: restore.map((v) => 1 - v), restore };
}

/** A recorded loss of the block's tuning as a point of the report's (and the studio's) VEFT loss curve. */
const pointOf = (block: string) => (h: BlockLossRecord): VeftLossPoint => ({ block, iteration: h.iteration, terms: h.terms });

/** Tunes one block; `onIteration` gets the steps done and the losses recorded since its previous call (each once). */
export async function tuneBlock(
  state: RunState, io: StageIo, job: BlockJob, onIteration: (done: number, losses: VeftLossPoint[]) => void,
): Promise<{ summary: VeftReport['blocks'][number]; current: Model }> {
  const { settings, layers, model, plan } = state;
  const first = job.members[0];
  const upstream = layers.filter((_, i) => i < first);
  const inBlock = job.members.map((i) => layers[i]);
  const current = simulatedModel(model, upstream, plan);
  const data = await blockData(state, io, job.block, current, job.layerInputs, job.floatInputs);
  const output = data.boundary.outputs[0];
  const quantized = [...upstream, ...inBlock];
  const pos1 = await floatBlockOutputs(io.ctx, simulatedModel(model, quantized, job.before), data.boundary, data.inputs);
  const images = data.inputs[data.boundary.inputs[0]].dims[0];
  const tensors = [...new Set(inBlock.map((l) => l.input))].filter((t) => job.fixed.has(t));
  const taps = await job.layerInputs.taps(simulatedModel(model, quantized, plan), tensors);
  const rank = (t: string) => (taps.get(t)!.dims[0] === images ? taps.get(t)!.dims.length : null);
  const fixedHere = new Map(tensors.map((t) => [t, job.fixed.get(t)!]));
  const masked = maskedModel(simulatedModel(model, quantized, { ...plan, restored: undefined }), model, inBlock, fixedHere, rank, settings.floatParams === 'fp16');
  const extra = (m: MaskInput) => job.counts[layers.findIndex((l) => l.input === m.tensor)];
  const random = settings.veftSelection === 'fixed' ? null : rng(settings.seed + first + 7);
  const T = settings.veftEpochs ?? DEFAULT_VEFT.epochs;
  const masks = (iteration: number): Record<string, Float32Array<ArrayBuffer>> => Object.fromEntries(masked.masks.flatMap((m) => {
    const d = maskData(m, images, job.fixed.get(m.tensor)!, extra(m), iteration < T ? random : null);
    return [[m.keep, d.keep], [m.restore, d.restore]];
  }));
  const maskDims = Object.fromEntries(masked.masks.flatMap((m) => [[m.keep, [images, ...m.dims]], [m.restore, [images, ...m.dims]]]));
  const initial = masks(T);
  const result = await reconstructBlock(io.ctx, {
    model: masked.model, boundary: { inputs: [...data.boundary.inputs, ...Object.keys(maskDims)], outputs: data.boundary.outputs },
    layers: job.members.map((i) => {
      const layer = layers[i];
      const weight = model.graph.initializers.get(layer.weight)!;
      const params = weightParams(layer, weight, state.bits[i], state.results[i].range);
      return { layer, weight: weight.data as Float32Array, bits: state.bits[i], params, baseline: plan.layers.get(layer.name)!.weight };
    }),
    inputs: { ...data.inputs, ...Object.fromEntries(Object.entries(maskDims).map(([name, dims]) => [name, { dims, data: initial[name] }])) },
    targets: data.targets, iterations: T, seed: settings.seed + first, signal: io.signal, refresh: masks,
    losses: [verticalTerm({ value: output, anchors: data.targets[output], pos1: pos1[output], tau: settings.veftTau ?? DEFAULT_VEFT.tau, weight: GAMMA.vertical })],
    onProgress: (p) => onIteration(p.iteration, (p.recorded ?? []).map(pointOf(job.block))),
  });
  const keep = !result.cancelled && result.loss.learned < result.loss.nearest;
  if (keep) {
    job.members.forEach((i, j) => {
      const l = layers[i];
      const channels = job.fixed.get(l.input) ?? [];
      plan.layers.set(l.name, { ...plan.layers.get(l.name)!, weight: zeroRestoredColumns(l, result.layers[j].weightQ, channels) });
      state.results[i].roundedUp = result.layers[j].roundedUp;
      state.results[i].roundedDown = result.layers[j].roundedDown;
      state.results[i].reconstructed = true;
    });
  }
  return {
    summary: { block: job.block, before: result.loss.nearest, after: result.loss.learned, kept: keep ? 'tuned' : 'reconstructed' },
    current,
  };
}
