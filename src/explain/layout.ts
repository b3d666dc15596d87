/**
 * Where each attention core's tokens sit on the image. Token models (ViT, DeiT) prepend learned
 * tokens to one patch grid; window models (Swin) attend inside windows of a grid that shrinks by
 * two at each patch merging, with every other block's windows shifted. The geometry is read from
 * the prepared graph's shapes and from the shift masks' values, not from value names, so it holds
 * for exported graphs whose values were renamed.
 */
import type { Model } from '../onnx/ir.ts';
import type { ModelStructure } from '../model/summary.ts';
import { blockOf } from '../model/summary.ts';
import { shiftFromMask, type TensorLike } from './windows.ts';

export type { TensorLike } from './windows.ts';

/** What the layout reads from a prepared plan: value shapes, and values known without running (or tapped). */
export interface ValueLookup {
  dims(name: string): readonly number[] | undefined;
  value(name: string): TensorLike | undefined;
}

/** One stage's token grid; each cell covers cellHeight × cellWidth pixels of the model's input. */
export interface StageGrid {
  rows: number;
  cols: number;
  cellHeight: number;
  cellWidth: number;
}

interface CoreBase {
  /** The attention probabilities to tap: [batch (× windows), heads, queries, keys]. */
  probs: string;
  label: string;
  heads: number;
  stage: number;
}

/** Global attention over prefix tokens followed by the patch grid. */
export interface TokenCore extends CoreBase {
  kind: 'tokens';
  tokens: number;
  prefix: number;
}

/** Window attention: `window`² tokens per window over a grid padded to paddedRows × paddedCols, rolled by −shift. */
export interface WindowCore extends CoreBase {
  kind: 'windows';
  window: number;
  shift: number;
  paddedRows: number;
  paddedCols: number;
  /** Windows per image. */
  windows: number;
}

export type CoreLayout = TokenCore | WindowCore;

export interface ExplainLayout {
  kind: 'tokens' | 'windows';
  /** The model's input [height, width] in pixels. */
  input: [number, number];
  /** Stage 0 is the patch embedding's grid; each patch merging halves it (rounding up). */
  stages: StageGrid[];
  cores: CoreLayout[];
  /**
   * Token models: the token rows the classifier reads, averaged (cls; cls and dist for a
   * distilled DeiT, whose two heads are averaged). Window models read the mean of the last
   * stage's tokens (global average pooling), so this is empty.
   */
  readout: number[];
}

export class ExplainLayoutError extends Error {
  override name = 'ExplainLayoutError';
}

const MAX_STAGES = 8;

function patchGrid(model: Model, lookup: ValueLookup): StageGrid {
  const conv = model.graph.nodes.find((n) => n.opType === 'Conv');
  const dims = conv && lookup.dims(conv.outputs[0]);
  if (!conv || !dims || dims.length !== 4) throw new ExplainLayoutError('no patch embedding (a Conv over the image) was found, so the attention cannot be placed on the image');
  const strides = conv.attrs.strides?.type === 'ints' ? (conv.attrs.strides.value as number[]) : [1, 1];
  return { rows: dims[2], cols: dims[3], cellHeight: strides[0] ?? 1, cellWidth: strides[1] ?? 1 };
}

function probsDims(lookup: ValueLookup, probs: string): number[] {
  const dims = lookup.dims(probs);
  if (!dims || dims.length !== 4 || dims[2] !== dims[3]) {
    throw new ExplainLayoutError(`attention probabilities ${probs} should be [batch, heads, tokens, tokens], got [${dims?.join(', ') ?? 'unknown'}]`);
  }
  return [...dims];
}

/** 'blocks.3' from a readable module path, else a name from the position. */
function labelOf(name: string, fallback: string): string {
  return blockOf(name) || fallback;
}

function tokenLayout(structure: ModelStructure, lookup: ValueLookup, grid: StageGrid): CoreLayout[] {
  const prefix = structure.tokens.length;
  return structure.attention.map((core, i) => {
    const [, heads, tokens] = probsDims(lookup, core.probs);
    if (tokens - prefix !== grid.rows * grid.cols) {
      throw new ExplainLayoutError(`attention ${core.name} spans ${tokens} tokens, not ${prefix} prepended tokens and the ${grid.rows}×${grid.cols} patch grid`);
    }
    return { kind: 'tokens', probs: core.probs, label: labelOf(core.name, `block ${i}`), heads, stage: 0, tokens, prefix };
  });
}

/** A shift mask among the core's additive terms: values all 0 or strongly negative, one N×N block per window. */
function maskOf(additive: readonly string[], lookup: ValueLookup, windows: number, n: number): TensorLike | null {
  for (const term of additive) {
    const value = lookup.value(term);
    if (!value || value.data.length !== windows * n * n) continue;
    let isMask = true;
    for (let i = 0; i < value.data.length && isMask; i++) isMask = value.data[i] === 0 || value.data[i] <= -1;
    if (isMask) return value;
  }
  return null;
}

function windowLayout(structure: ModelStructure, lookup: ValueLookup, batch: number, first: StageGrid): { cores: CoreLayout[]; stages: StageGrid[] } {
  const stages = [first];
  let stage = 0;
  const perStage = new Map<number, number>();
  const cores = structure.attention.map((core): CoreLayout => {
    const [rows, heads, n] = probsDims(lookup, core.probs);
    const window = Math.round(Math.sqrt(n));
    if (window * window !== n) throw new ExplainLayoutError(`attention ${core.name} spans ${n} tokens, not a square window`);
    if (rows % batch !== 0) throw new ExplainLayoutError(`attention ${core.name} has ${rows} rows for a batch of ${batch}`);
    const windows = rows / batch;
    const fits = (g: StageGrid) => Math.ceil(g.rows / window) * Math.ceil(g.cols / window) === windows;
    while (!fits(stages[stage])) {
      if (stage + 1 >= MAX_STAGES) throw new ExplainLayoutError(`attention ${core.name}: ${windows} windows of ${window}×${window} tokens fit no stage of the ${first.rows}×${first.cols} patch grid`);
      const g = stages[stage];
      if (stage + 1 === stages.length) stages.push({ rows: Math.ceil(g.rows / 2), cols: Math.ceil(g.cols / 2), cellHeight: g.cellHeight * 2, cellWidth: g.cellWidth * 2 });
      stage++;
    }
    const g = stages[stage];
    const paddedRows = Math.ceil(g.rows / window) * window;
    const paddedCols = Math.ceil(g.cols / window) * window;
    const mask = maskOf(core.additive, lookup, windows, n);
    const shift = mask ? shiftFromMask(mask, { window, paddedRows, paddedCols }) : 0;
    if (shift === null) throw new ExplainLayoutError(`attention ${core.name}: its shift mask matches no shift of ${window}×${window} windows`);
    const index = perStage.get(stage) ?? 0;
    perStage.set(stage, index + 1);
    return { kind: 'windows', probs: core.probs, label: labelOf(core.name, `stage ${stage} block ${index}`), heads, stage, window, shift, paddedRows, paddedCols, windows };
  });
  return { cores, stages: stages.slice(0, stage + 1) };
}

/**
 * The geometry of every attention core, for a plan prepared at `batch` images. `lookup.value`
 * must give the cores' additive terms (shift masks) when they are not constants: tap them.
 */
export function explainLayout(model: Model, structure: ModelStructure, batch: number, lookup: ValueLookup): ExplainLayout {
  if (structure.attention.length === 0) throw new ExplainLayoutError('no attention softmax was found in this model, so there is no attention map to draw');
  const dims = lookup.dims(model.graph.inputs[0].name);
  if (!dims || dims.length !== 4) throw new ExplainLayoutError(`the model's input ${model.graph.inputs[0].name} is not an image batch [batch, channels, height, width]`);
  const input: [number, number] = [dims[2], dims[3]];
  const grid = patchGrid(model, lookup);
  if (structure.tokens.length > 0) {
    const prefix = structure.tokens.length;
    return { kind: 'tokens', input, stages: [grid], cores: tokenLayout(structure, lookup, grid), readout: prefix >= 2 ? [0, 1] : [0] };
  }
  return { kind: 'windows', input, ...windowLayout(structure, lookup, batch, grid), readout: [] };
}

/** Values a layout may need beyond the probabilities: every additive term of a core that is not a constant. */
export function additiveTaps(structure: ModelStructure, isConstant: (name: string) => boolean): string[] {
  if (structure.tokens.length > 0) return [];
  return [...new Set(structure.attention.flatMap((c) => c.additive).filter((name) => !isConstant(name)))];
}
