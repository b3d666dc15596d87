/**
 * One block's attention for one image as a token-to-token matrix over its stage's tokens: the
 * whole sequence for token models, the unpadded grid for window models (windows placed back,
 * shifts undone, attention to padding dropped). Rows are sparse (a window's worth of keys).
 */
import type { CoreLayout, ExplainLayout } from './layout.ts';
import { windowTokens, type TensorLike } from './windows.ts';

/** Row i holds `width` (key, value) entries at i·width …; key −1 is an empty slot. */
export interface TokenGraph {
  n: number;
  width: number;
  keys: Int32Array;
  values: Float64Array;
}

export interface AssembledBlock {
  /** The head-mean attention (or, with weights, the head mean of (weight ⊙ attention)⁺). */
  graph: TokenGraph;
  /** Per head, the readout tokens' attention to each grid token (raw, not weighted). */
  heads: Float64Array[];
}

/** Tokens of a core's stage (prefix included for token models). */
export function stageTokens(layout: ExplainLayout, core: CoreLayout): number {
  return core.kind === 'tokens' ? core.tokens : layout.stages[core.stage].rows * layout.stages[core.stage].cols;
}

/** The readout: the averaged classifier rows for token models, every grid token equally for window models. */
export function readoutVector(layout: ExplainLayout, core: CoreLayout): Float64Array {
  const v = new Float64Array(stageTokens(layout, core));
  if (core.kind === 'tokens') for (const r of layout.readout) v[r] += 1 / layout.readout.length;
  else v.fill(1 / v.length);
  return v;
}

function checkTensor(name: string, t: TensorLike, dims: number[]): void {
  if (t.dims.length !== 4 || t.dims.some((d, i) => d !== dims[i])) {
    throw new RangeError(`${name}: expected [${dims.join(', ')}], got [${t.dims.join(', ')}]`);
  }
}

type Entry = (flat: number) => number;

function entryOf(probs: TensorLike, weights?: TensorLike): Entry {
  if (!weights) return (i) => probs.data[i];
  return (i) => Math.max(0, probs.data[i] * weights.data[i]);
}

function tokenBlock(core: Extract<CoreLayout, { kind: 'tokens' }>, layout: ExplainLayout, probs: TensorLike, image: number, entry: Entry): AssembledBlock {
  const { tokens: t, heads: h, prefix } = core;
  const keys = new Int32Array(t * t);
  const values = new Float64Array(t * t);
  const heads = Array.from({ length: h }, () => new Float64Array(t - prefix));
  for (let head = 0; head < h; head++) {
    const base = (image * h + head) * t * t;
    for (let i = 0; i < t * t; i++) values[i] += entry(base + i) / h;
    for (const r of layout.readout) {
      for (let k = prefix; k < t; k++) heads[head][k - prefix] += probs.data[base + r * t + k] / layout.readout.length;
    }
  }
  for (let i = 0; i < t * t; i++) keys[i] = i % t;
  return { graph: { n: t, width: t, keys, values }, heads };
}

function windowBlock(core: Extract<CoreLayout, { kind: 'windows' }>, layout: ExplainLayout, probs: TensorLike, image: number, entry: Entry): AssembledBlock {
  const { rows, cols } = layout.stages[core.stage];
  const n = core.window * core.window;
  const h = core.heads;
  const index = windowTokens(core, core.shift, rows, cols);
  const tokens = rows * cols;
  const keys = new Int32Array(tokens * n).fill(-1);
  const values = new Float64Array(tokens * n);
  const heads = Array.from({ length: h }, () => new Float64Array(tokens));
  for (let t = 0; t < core.windows; t++) {
    for (let i = 0; i < n; i++) {
      const query = index[t * n + i];
      if (query < 0) continue;
      for (let head = 0; head < h; head++) {
        const base = (((image * core.windows + t) * h + head) * n + i) * n;
        for (let j = 0; j < n; j++) {
          const key = index[t * n + j];
          if (key < 0) continue;
          keys[query * n + j] = key;
          values[query * n + j] += entry(base + j) / h;
          heads[head][key] += probs.data[base + j] / tokens;
        }
      }
    }
  }
  return { graph: { n: tokens, width: n, keys, values }, heads };
}

/**
 * Assemble one core's probabilities for image `image` of the batch they were tapped at.
 * `weights` (same dims, e.g. gradients of the score) turns the matrix into the head mean of
 * (weights ⊙ probabilities)⁺, as gradient-weighted attribution needs.
 */
export function assembleBlock(layout: ExplainLayout, core: CoreLayout, probs: TensorLike, image: number, weights?: TensorLike): AssembledBlock {
  const batch = core.kind === 'tokens' ? probs.dims[0] : probs.dims[0] / core.windows;
  if (!Number.isInteger(batch) || image < 0 || image >= batch) throw new RangeError(`${core.label}: image ${image} is outside the batch of ${batch}`);
  const side = core.kind === 'tokens' ? core.tokens : core.window * core.window;
  const dims = [probs.dims[0], core.heads, side, side];
  checkTensor(`${core.label} attention`, probs, dims);
  if (weights) checkTensor(`${core.label} attention weights`, weights, dims);
  const entry = entryOf(probs, weights);
  return core.kind === 'tokens' ? tokenBlock(core, layout, probs, image, entry) : windowBlock(core, layout, probs, image, entry);
}
