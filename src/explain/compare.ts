/**
 * How far two maps of the same grid agree: Spearman's rank correlation of the patch relevances
 * (1: the same order of patches, 0: unrelated, −1: reversed) and the overlap of their top-k
 * patches (the share of the k most relevant patches of one that are among the other's k).
 */
import type { Explanation, RelevanceMap } from './maps.ts';

export interface MapAgreement {
  /** Null when one map is constant: its patches have no order. */
  spearman: number | null;
  topK: number;
  topKOverlap: number;
}

export interface BlockAgreement extends MapAgreement {
  label: string;
}

export interface ExplanationComparison {
  blocks: BlockAgreement[];
  model: MapAgreement;
}

/** Ranks from 1, ties sharing their mean rank. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) out[order[k]] = rank;
    start = end;
  }
  return out;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa === 0 || bb === 0 ? null : ab / Math.sqrt(aa * bb);
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  if (a.length !== b.length) throw new RangeError(`maps of ${a.length} and ${b.length} patches cannot be compared`);
  return pearson(ranks(a), ranks(b));
}

/** Patch indices from the most relevant down; ties keep grid order. */
export function relevanceOrder(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((x, y) => values[y] - values[x] || x - y);
}

/** k for a grid of n patches: a tenth of them, at least 3 (all of them below 3). */
export function topKFor(n: number): number {
  return Math.min(n, Math.max(3, Math.ceil(n / 10)));
}

export function topKOverlap(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  if (a.length !== b.length) throw new RangeError(`maps of ${a.length} and ${b.length} patches cannot be compared`);
  const top = new Set(relevanceOrder(a).slice(0, k));
  return relevanceOrder(b).slice(0, k).filter((i) => top.has(i)).length / k;
}

function checkSameGrid(fp: RelevanceMap, quantized: RelevanceMap): void {
  if (fp.rows !== quantized.rows || fp.cols !== quantized.cols) {
    throw new RangeError(`a ${fp.rows}×${fp.cols} map cannot be compared with a ${quantized.rows}×${quantized.cols} one`);
  }
}

export function compareMaps(fp: RelevanceMap, quantized: RelevanceMap): MapAgreement {
  checkSameGrid(fp, quantized);
  const topK = topKFor(fp.values.length);
  return { spearman: spearman(fp.values, quantized.values), topK, topKOverlap: topKOverlap(fp.values, quantized.values, topK) };
}

/** Block by block (paired in order; labels from the FP model) and for the whole model. */
export function compareExplanations(fp: Explanation, quantized: Explanation): ExplanationComparison {
  if (fp.blocks.length !== quantized.blocks.length) {
    throw new RangeError(`the FP model has ${fp.blocks.length} attention blocks and the quantized one ${quantized.blocks.length}; they are not the same model`);
  }
  return {
    blocks: fp.blocks.map((b, i) => ({ label: b.label, ...compareMaps(b.map, quantized.blocks[i].map) })),
    model: compareMaps(fp.model, quantized.model),
  };
}

/** Quantized minus FP, cell by cell. */
export function differenceMap(fp: RelevanceMap, quantized: RelevanceMap): RelevanceMap {
  checkSameGrid(fp, quantized);
  return { ...fp, values: quantized.values.map((v, i) => v - fp.values[i]) };
}
