/**
 * Block reconstruction inside the 'reconstruct' stage (recon 'block'): the learned rounding of every
 * layer of one recognised transformer block optimised together (src/quant/reconstruction/block)
 * against the float block's output, on the block's inputs from the model quantized so far.
 */
import type { HostTensor } from '../../../engine/session.ts';
import type { ImageData } from '../../../grad/losses.ts';
import { blockBoundary } from '../../../grad/blocks.ts';
import type { Model } from '../../../onnx/ir.ts';
import { floatBlockOutputs, reconstructBlock, type BlockReconstructResult } from '../../reconstruction/block/reconstruct-block.ts';
import type { QuantizedInputs } from '../../simulation/quantized-inputs.ts';
import { simulatedModel, weightParams } from '../../simulation/simulate.ts';
import type { StageIo } from '../stage.ts';
import type { RunState } from '../state.ts';

/** The values a block reads and its float targets, [images, ...] each. */
export interface BlockData {
  boundary: { inputs: string[]; outputs: string[] };
  inputs: Record<string, ImageData>;
  targets: Record<string, ImageData>;
}

const asImages = (t: HostTensor): ImageData => ({ dims: t.dims, data: t.data as Float32Array });

/**
 * The block's inputs on the quantized path (`current`: the model quantized so far, or the float
 * model with reconInputs 'fp') and its targets: the float block on those same inputs (reconTargets
 * 'same'), or the float model's own block outputs ('float').
 */
export async function blockData(state: RunState, io: StageIo, block: string, current: Model, layerInputs: QuantizedInputs, floatInputs: QuantizedInputs | null): Promise<BlockData> {
  const boundary = blockBoundary(state.model, block);
  const taps = await layerInputs.taps(current, boundary.inputs);
  const inputs = Object.fromEntries(boundary.inputs.map((name) => [name, asImages(taps.get(name)!)]));
  let targets: Record<string, ImageData>;
  if (state.settings.reconTargets === 'float') {
    const source = floatInputs ?? layerInputs;
    const float = await source.taps(floatInputs ? state.model : current, boundary.outputs);
    targets = Object.fromEntries(boundary.outputs.map((name) => [name, asImages(float.get(name)!)]));
  } else {
    targets = await floatBlockOutputs(io.ctx, state.model, boundary, inputs);
  }
  return { boundary: { inputs: boundary.inputs, outputs: boundary.outputs }, inputs, targets };
}

/**
 * Learns the rounding of the block's layers (`members`, indices into state.layers) together and
 * plans it. `upstream` are the layers quantized before the block; `onIteration` hears the
 * iterations done. A run cancelled between steps leaves the block at nearest rounding.
 */
export async function reconstructBlockLayers(
  state: RunState, io: StageIo, members: number[], upstream: readonly number[], data: BlockData, onIteration: (done: number) => void,
): Promise<BlockReconstructResult> {
  const { settings, layers, plan, results, model } = state;
  const quantized = [...upstream, ...members].map((i) => layers[i]);
  const blockLayers = members.map((i) => {
    const layer = layers[i];
    const weight = model.graph.initializers.get(layer.weight)!;
    return { layer, weight: weight.data as Float32Array, bits: state.bits[i], params: weightParams(layer, weight, state.bits[i], results[i].range) };
  });
  const result = await reconstructBlock(io.ctx, {
    model: simulatedModel(model, quantized, plan), boundary: data.boundary, layers: blockLayers, inputs: data.inputs, targets: data.targets,
    iterations: settings.iters, seed: settings.seed + members[0], signal: io.signal,
    onProgress: (p) => onIteration(p.iteration),
  });
  if (result.cancelled) return result;
  members.forEach((i, j) => {
    const outcome = result.layers[j];
    plan.layers.set(layers[i].name, { bits: state.bits[i], range: results[i].range, weight: outcome.weightQ });
    results[i].reconstructed = true;
    results[i].roundedUp = outcome.roundedUp;
    results[i].roundedDown = outcome.roundedDown;
    results[i].blockLoss = { nearest: result.loss.nearest, learned: result.loss.learned };
  });
  return result;
}
