/**
 * Relevance maps from tapped attention: raw attention per block and head, attention rollout,
 * and gradient-weighted attribution once gradients are given. Every map is a grid of patch
 * relevances placed on the model's input (see RelevanceMap).
 */
import { assembleBlock, readoutVector, type AssembledBlock, type TokenGraph } from './attention-graph.ts';
import type { CoreLayout, ExplainLayout, StageGrid } from './layout.ts';
import { relevanceStep, rolloutStep, unmerge } from './propagate.ts';
import type { TensorLike } from './windows.ts';

/** One value per grid cell, row-major; cell (r, c) covers model-input pixels [r·cellHeight, (r+1)·cellHeight) × …. */
export interface RelevanceMap extends StageGrid {
  values: Float64Array;
}

export interface BlockMap {
  label: string;
  map: RelevanceMap;
  /** Raw attention only: each head's map (the block's map is their mean). */
  heads: RelevanceMap[];
}

export type ComputedMethod = 'attention' | 'rollout' | 'gradient';

export interface Explanation {
  method: ComputedMethod;
  /** Attention: each block's own map. Rollout and gradient: relevance through the blocks up to and including this one. */
  blocks: BlockMap[];
  /** The whole model's map: the last block's. */
  model: RelevanceMap;
}

/** The tapped values by name: attention probabilities (and, for the gradient method, their gradients). */
export type TapReader = (name: string) => TensorLike;

const mapOn = (grid: StageGrid, values: Float64Array): RelevanceMap => ({ ...grid, values });

function gridValues(core: CoreLayout, v: Float64Array): Float64Array {
  return core.kind === 'tokens' ? v.slice(core.prefix) : v;
}

type Step = (v: Float64Array, g: TokenGraph) => Float64Array;

/** Relevance of the input patches for the readout at block `upTo`, stepping back through every block before it. */
function propagate(layout: ExplainLayout, blocks: AssembledBlock[], upTo: number, step: Step): RelevanceMap {
  let v = readoutVector(layout, layout.cores[upTo]);
  let stage = layout.cores[upTo].stage;
  for (let b = upTo; b >= 0; b--) {
    const core = layout.cores[b];
    for (; stage > core.stage; stage--) v = unmerge(v, layout.stages[stage], layout.stages[stage - 1]);
    v = step(v, blocks[b].graph);
  }
  const first = layout.cores[0];
  for (; stage > 0; stage--) v = unmerge(v, layout.stages[stage], layout.stages[stage - 1]);
  return mapOn(layout.stages[0], gridValues(first, v));
}

function headMean(heads: Float64Array[]): Float64Array {
  const out = new Float64Array(heads[0]?.length ?? 0);
  for (const h of heads) for (let i = 0; i < out.length; i++) out[i] += h[i] / heads.length;
  return out;
}

/** Each block's readout attention, per head and averaged, on its own stage's grid. */
function attentionMaps(layout: ExplainLayout, blocks: AssembledBlock[]): BlockMap[] {
  return blocks.map((block, b) => {
    const grid = layout.stages[layout.cores[b].stage];
    return { label: layout.cores[b].label, map: mapOn(grid, headMean(block.heads)), heads: block.heads.map((h) => mapOn(grid, h)) };
  });
}

function propagated(layout: ExplainLayout, blocks: AssembledBlock[], step: Step): BlockMap[] {
  return blocks.map((_, b) => ({ label: layout.cores[b].label, map: propagate(layout, blocks, b, step), heads: [] }));
}

/**
 * The maps of one image (index `image` of the batch the taps hold). `gradients` reads the
 * gradient of the score with respect to each probabilities tap; only the gradient method uses it.
 */
export function explainImage(layout: ExplainLayout, taps: TapReader, image: number, method: ComputedMethod, gradients?: TapReader): Explanation {
  if (method === 'gradient' && !gradients) throw new Error('gradient-weighted attribution needs the gradients of the score with respect to the attention');
  const weighted = method === 'gradient' ? gradients : undefined;
  const blocks = layout.cores.map((core) => assembleBlock(layout, core, taps(core.probs), image, weighted?.(core.probs)));
  const maps = method === 'attention' ? attentionMaps(layout, blocks) : propagated(layout, blocks, method === 'rollout' ? rolloutStep : relevanceStep);
  return { method, blocks: maps, model: maps[maps.length - 1].map };
}
