import type { AttentionCore } from './attention.ts';
import { GraphIndex } from './graph-index.ts';

/**
 * Learned tokens prepended to the patch sequence: ViT's cls token, DeiT's distillation token.
 * They are constants of shape [1, 1, D] that reach a Concat directly or through an Expand, and in
 * our exports through Add(Expand(token), zeros), the batch broadcast export/batch-broadcast.ts writes.
 */
export function findPrependedTokens(index: GraphIndex): string[] {
  const tokens: string[] = [];
  for (const [name, tensor] of index.graph.initializers) {
    if (tensor.dims.length !== 3 || tensor.dims[0] !== 1 || tensor.dims[1] !== 1) continue;
    let reaches = index.consumersOf(name);
    for (let hop = 0; hop < 2 && !reaches.some((n) => n.opType === 'Concat'); hop++) {
      const broadcast = reaches.find((n) => n.opType === 'Expand' || n.opType === 'Add');
      if (!broadcast) break;
      reaches = index.consumersOf(broadcast.outputs[0]);
    }
    if (reaches.some((n) => n.opType === 'Concat')) tokens.push(name);
  }
  return tokens;
}

export interface SwinFeatures {
  /** Side of the attention window, in tokens. */
  windowSize: number;
  /** Attention cores with a relative position bias: window attention. */
  windowedAttention: number;
  /** Attention cores that also add a shift mask: shifted-window blocks. */
  shiftedAttention: number;
  /** Relative position bias tables read through a Gather (exports without constant folding). */
  relativeBiasTables: string[];
  /** Patch merging: four strided Slices concatenated on channels. */
  patchMerges: number;
}

/** Window size from an additive attention term: a bias table [(2w-1)², heads] or a folded [.., w², w²] bias. */
function windowOf(index: GraphIndex, term: string): { window: number; table?: string } | null {
  const folded = index.constant(term);
  if (folded) {
    const t = Math.sqrt(folded.dims[folded.dims.length - 1]);
    return Number.isInteger(t) ? { window: t } : null;
  }
  const gather = index.ancestorOfType(term, 'Gather', 6);
  const table = gather && index.constant(gather.inputs[0]);
  if (!gather || !table || table.dims.length !== 2) return null;
  const side = Math.sqrt(table.dims[0]);
  return Number.isInteger(side) && side % 2 === 1 ? { window: (side + 1) / 2, table: gather.inputs[0] } : null;
}

export function findSwinFeatures(index: GraphIndex, attention: AttentionCore[]): SwinFeatures | null {
  let windowSize = 0;
  let windowedAttention = 0;
  let shiftedAttention = 0;
  const tables: string[] = [];
  for (const core of attention) {
    // Walking up from the softmax, the relative bias is the last additive term, a shift mask comes before it.
    const bias = core.additive[core.additive.length - 1];
    const found = bias ? windowOf(index, bias) : null;
    if (!found) continue;
    windowSize = found.window;
    windowedAttention++;
    if (found.table) tables.push(found.table);
    if (core.additive.length > 1) shiftedAttention++;
  }
  if (windowedAttention === 0) return null;
  let patchMerges = 0;
  for (const node of index.graph.nodes) {
    if (node.opType !== 'Concat' || node.inputs.length !== 4) continue;
    if (node.inputs.every((i) => index.producer.get(i)?.opType === 'Slice')) patchMerges++;
  }
  return { windowSize, windowedAttention, shiftedAttention, relativeBiasTables: tables, patchMerges };
}
