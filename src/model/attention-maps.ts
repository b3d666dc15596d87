/**
 * CLS-token attention maps from the attention probabilities a model run taps
 * (AttentionCore.probs, [batch, heads, tokens, tokens]). Row 0 is the CLS token's attention; its
 * entries for the patch tokens, after the `prefix` learned tokens (cls, and DeiT's dist), form
 * the patch grid.
 */

/** Why a model has no CLS attention map to draw, or null when it has one. */
export function whyNoClsMap(structure: { swin: unknown; tokens: readonly string[]; blocks: readonly { attention: readonly string[] }[] }): string | null {
  if (structure.swin) return 'This model has no CLS token: Swin attends within shifted windows and pools all patches at the end, so there is no CLS attention map to show.';
  if (structure.tokens.length === 0) return 'This model has no CLS token (no learned token is prepended to the patches), so there is no CLS attention map to show.';
  if (!structure.blocks.some((b) => b.attention.length > 0)) return 'No attention softmax was found in this model, so there is no attention map to show.';
  return null;
}

export interface ProbsTensor {
  dims: readonly number[];
  data: ArrayLike<number>;
}

export interface ClsAttention {
  heads: number;
  /** The patch grid: rows × cols = patch tokens. */
  rows: number;
  cols: number;
  /** One map per head, row-major over the patch grid. */
  maps: Float32Array[];
}

/** Rows × cols of a square patch grid of `count` tokens, or an error naming the count. */
export function patchGrid(count: number): { rows: number; cols: number } {
  const side = Math.round(Math.sqrt(count));
  if (side * side !== count || count === 0) throw new RangeError(`${count} patch tokens do not form a square grid`);
  return { rows: side, cols: side };
}

/** The CLS token's attention to every patch, for each head, of image `image` in the batch. */
export function clsAttention(probs: ProbsTensor, image: number, prefix: number): ClsAttention {
  if (probs.dims.length !== 4) throw new RangeError(`attention probabilities should be [batch, heads, tokens, tokens], got [${probs.dims.join(', ')}]`);
  const [batch, heads, queries, keys] = probs.dims;
  if (queries !== keys) throw new RangeError(`attention probabilities should be square over tokens, got ${queries}×${keys}`);
  if (image < 0 || image >= batch) throw new RangeError(`image ${image} is outside the batch of ${batch}`);
  if (prefix < 1 || prefix >= keys) throw new RangeError(`a CLS map needs 1..${keys - 1} prefix tokens, got ${prefix}`);
  const { rows, cols } = patchGrid(keys - prefix);
  const maps: Float32Array[] = [];
  for (let h = 0; h < heads; h++) {
    const row = ((image * heads + h) * queries + 0) * keys; // query 0: the CLS token
    const map = new Float32Array(keys - prefix);
    for (let k = prefix; k < keys; k++) map[k - prefix] = probs.data[row + k];
    maps.push(map);
  }
  return { heads, rows, cols, maps };
}

export function meanMap(maps: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(maps[0]?.length ?? 0);
  for (const m of maps) for (let i = 0; i < out.length; i++) out[i] += m[i] / maps.length;
  return out;
}

/** Cosine similarity of two maps: 1 for the same shape of attention, whatever its scale. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maps of ${a.length} and ${b.length} values cannot be compared`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

export function difference(quantized: ArrayLike<number>, fp: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: fp.length }, (_, i) => quantized[i] - fp[i]);
}

export interface BlockAttention {
  block: string;
  fp: ClsAttention;
  quantized: ClsAttention;
  /** Cosine similarity FP vs quantized, per head and for the mean over heads. */
  similarity: number[];
  meanSimilarity: number;
}

/** FP and quantized CLS maps of every block, with their similarity. */
export function compareBlocks(
  blocks: readonly { name: string; probs: string }[],
  fpTaps: ReadonlyMap<string, ProbsTensor>,
  quantizedTaps: ReadonlyMap<string, ProbsTensor>,
  image: number,
  prefix: number,
): BlockAttention[] {
  return blocks.map(({ name, probs }) => {
    const a = fpTaps.get(probs);
    const b = quantizedTaps.get(probs);
    if (!a || !b) throw new Error(`block ${name}: the attention probabilities ${probs} were not captured`);
    const fp = clsAttention(a, image, prefix);
    const quantized = clsAttention(b, image, prefix);
    return {
      block: name,
      fp,
      quantized,
      similarity: fp.maps.map((m, h) => cosineSimilarity(m, quantized.maps[h])),
      meanSimilarity: cosineSimilarity(meanMap(fp.maps), meanMap(quantized.maps)),
    };
  });
}
