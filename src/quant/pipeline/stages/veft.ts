/**
 * Stage 'veft' (paper section 4.2, docs/veft.md), DeFakeQ with veft on, after reconstruction:
 * each block activation keeps a fixed set of input channels in float (counted in the budget since
 * the allocation), the activation ranges are recomputed without them, and each block's rounding is
 * tuned with L = L_rec + γ1·L_hor + γ2·L_ver while random further channels are restored at each
 * submit of steps (veft-block.ts). The export writes the fixed set (simulation/restored.ts).
 */
import type { QuantLayer } from '../../../model/layers.ts';
import { blockOf } from '../../../model/summary.ts';
import { takeImages } from '../../calibration/sample-images.ts';
import type { VeftReport } from '../../report.ts';
import { QuantizedInputs } from '../../simulation/quantized-inputs.ts';
import { zeroRestoredColumns } from '../../simulation/restored.ts';
import { fakeQuantWeight, weightParams } from '../../simulation/simulate.ts';
import { chooseRestored, DEFAULT_VEFT, rangesWithout, veftActive } from '../../veft/channels.ts';
import { defineStage } from '../stage.ts';
import { OPS, type RunState } from '../state.ts';
import { tuneBlock } from './veft-block.ts';

const epochs = (state: RunState) => state.settings.veftEpochs ?? DEFAULT_VEFT.epochs;

/** The recognised blocks whose layers VEFT restores and tunes, in graph order, with their layers' indices. */
export function veftBlocks(state: RunState): { block: string; members: number[] }[] {
  const counts = state.restoredCounts;
  const blocks = new Map<string, number[]>();
  state.layers.forEach((l, i) => counts[i] > 0 && blocks.set(blockOf(l.name), [...(blocks.get(blockOf(l.name)) ?? []), i]));
  return [...blocks].map(([block, members]) => ({ block, members }));
}

const totalSteps = (state: RunState) => Math.max(1, veftBlocks(state).length * epochs(state));

export const veft = defineStage({
  name: 'veft',
  needed: (state) => veftActive(state.settings) && state.restoredCounts.some((c) => c > 0) && state.bits.some((b) => b < 32),
  steps: totalSteps,
  async run(state, io) {
    const { settings, layers, model, plan } = state;
    const before = { ...plan, layers: new Map(plan.layers), activations: plan.activations && new Map(plan.activations) };
    const counts = state.restoredCounts;
    const fixed = restore(state, counts);
    const report: VeftReport = {
      fraction: settings.veftFraction ?? DEFAULT_VEFT.fraction,
      restoredChannels: layers.reduce((s, l) => s + (fixed.get(l.input)?.length ?? 0), 0),
      tensors: [...fixed].map(([tensor, channels]) => ({ tensor, channels })),
      lossCurve: [], blocks: [], horizontal: state.allocation?.objective ?? null,
    };
    state.veft = report;
    const total = totalSteps(state);
    if (epochs(state) === 0) return io.step(total, total);
    const images = takeImages(state.inputs.calibration, settings.reconImages);
    const batch = { ...images, dims: [images.count, ...(model.graph.inputs[0].shape ?? []).slice(1).map(Number)] };
    const layerInputs = new QuantizedInputs(io.ctx, OPS, model.graph.inputs[0].name, batch, { keepShared: true });
    const floatInputs = settings.reconTargets === 'float' ? new QuantizedInputs(io.ctx, OPS, model.graph.inputs[0].name, batch) : null;
    let done = 0;
    for (const { block, members } of veftBlocks(state)) {
      // The curve grows as it streams, so a cancelled run's report keeps every point shown.
      const tuned = await tuneBlock(state, io, { block, members, fixed, counts, before, layerInputs, floatInputs }, (i, losses) => {
        report.lossCurve.push(...losses);
        io.step(done + i, total, losses);
      });
      report.blocks.push(tuned.summary);
      done += epochs(state);
      io.step(done, total);
      layerInputs.invalidate(tuned.current, members.map((i) => layers[i].node));
    }
  },
});

/**
 * Chooses the fixed set, narrows the activation ranges to the other channels, and plans every
 * reader with its restored columns at zero (so a stop at any point leaves an exportable plan).
 */
function restore(state: RunState, counts: readonly number[]): Map<string, number[]> {
  const { settings, layers, plan, results } = state;
  const fixed = chooseRestored(state.calibration!, layers, counts);
  if (settings.actBits !== null && plan.activations) {
    const narrowed = rangesWithout(state.calibration!, layers, fixed, settings.actBits, settings.actRange, settings.seed);
    for (const [tensor, params] of narrowed) plan.activations.set(tensor, params);
  }
  plan.restored = { channels: fixed, half: settings.floatParams === 'fp16' };
  layers.forEach((l, i) => {
    const channels = fixed.get(l.input);
    const q = plan.layers.get(l.name);
    if (!channels || !q) return;
    plan.layers.set(l.name, { ...q, weight: zeroRestoredColumns(l, plannedWeight(state, l, i), channels) });
    results[i].restoredChannels = channels.length;
  });
  return fixed;
}

/** A layer's planned quantized weight: the learned one, or nearest rounding at its width and range. */
export function plannedWeight(state: RunState, layer: QuantLayer, i: number): Float32Array {
  const q = state.plan.layers.get(layer.name)!;
  if (q.weight) return q.weight;
  const weight = state.model.graph.initializers.get(layer.weight)!;
  return fakeQuantWeight(layer, weight, weightParams(layer, weight, state.bits[i], state.results[i].range));
}
