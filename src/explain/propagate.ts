/**
 * Relevance carried from the readout back to the input patches, one block at a time, as a row
 * vector over the current stage's tokens: rollout's residual-aware step, the gradient method's
 * additive step, and Swin's patch merging undone.
 */
import type { TokenGraph } from './attention-graph.ts';
import type { StageGrid } from './layout.ts';

/** v · Â with Â = rows of (A + I) renormalised to sum 1 (Abnar & Zuidema's residual-aware rollout). */
export function rolloutStep(v: Float64Array, g: TokenGraph): Float64Array {
  const out = new Float64Array(g.n);
  for (let i = 0; i < g.n; i++) {
    if (v[i] === 0) continue;
    let sum = 1;
    for (let k = i * g.width; k < (i + 1) * g.width; k++) if (g.keys[k] >= 0) sum += g.values[k];
    const w = v[i] / sum;
    out[i] += w;
    for (let k = i * g.width; k < (i + 1) * g.width; k++) if (g.keys[k] >= 0) out[g.keys[k]] += w * g.values[k];
  }
  return out;
}

/** v · (I + Ā): the relevance update of gradient-weighted attribution (Chefer et al.), no renormalisation. */
export function relevanceStep(v: Float64Array, g: TokenGraph): Float64Array {
  const out = Float64Array.from(v);
  for (let i = 0; i < g.n; i++) {
    if (v[i] === 0) continue;
    for (let k = i * g.width; k < (i + 1) * g.width; k++) if (g.keys[k] >= 0) out[g.keys[k]] += v[i] * g.values[k];
  }
  return out;
}

/**
 * Relevance on a merged grid handed back to the finer one: a merged token is made from its 2×2
 * children (those inside the grid; odd sizes were padded), and each gets an equal share.
 */
export function unmerge(v: Float64Array, merged: StageGrid, fine: StageGrid): Float64Array {
  if (v.length !== merged.rows * merged.cols) throw new RangeError(`${v.length} values for a ${merged.rows}×${merged.cols} grid`);
  const out = new Float64Array(fine.rows * fine.cols);
  for (let r = 0; r < merged.rows; r++) {
    for (let c = 0; c < merged.cols; c++) {
      const children: number[] = [];
      for (const dr of [0, 1]) for (const dc of [0, 1]) {
        const fr = 2 * r + dr;
        const fc = 2 * c + dc;
        if (fr < fine.rows && fc < fine.cols) children.push(fr * fine.cols + fc);
      }
      for (const child of children) out[child] += v[r * merged.cols + c] / children.length;
    }
  }
  return out;
}
