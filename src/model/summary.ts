import type { Model } from '../onnx/ir.ts';
import { findAttention, type AttentionCore } from './attention.ts';
import { GraphIndex } from './graph-index.ts';
import { findLayers, type QuantLayer } from './layers.ts';
import { findGelus, findLayerNorms, type GeluSite, type LayerNormSite } from './norms.ts';
import { findPrependedTokens, findSwinFeatures, type SwinFeatures } from './tokens.ts';

export type Architecture = 'vit' | 'deit-distilled' | 'swin' | 'unknown';

export interface Block {
  name: string;
  layers: string[];
  attention: string[];
}

/** Everything the studio and `inspect` say about a model's structure. */
export interface ModelStructure {
  architecture: Architecture;
  layers: QuantLayer[];
  blocks: Block[];
  attention: AttentionCore[];
  layerNorms: LayerNormSite[];
  gelus: GeluSite[];
  tokens: string[];
  swin: SwinFeatures | null;
  opHistogram: Record<string, number>;
  totalParams: number;
}

/**
 * The block a node belongs to: the path up to the last indexed module ('blocks.3',
 * 'encoder.layer.3', 'layers.1.blocks.0'), or '' outside any.
 */
export function blockOf(path: string): string {
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) if (/^\d+$/.test(parts[i])) return parts.slice(0, i + 1).join('.');
  return '';
}

function groupBlocks(layers: QuantLayer[], attention: AttentionCore[]): Block[] {
  const blocks = new Map<string, Block>();
  for (const core of attention) {
    const name = blockOf(core.name);
    if (!blocks.has(name)) blocks.set(name, { name, layers: [], attention: [] });
    blocks.get(name)!.attention.push(core.probs);
  }
  for (const layer of layers) blocks.get(blockOf(layer.name))?.layers.push(layer.name);
  return [...blocks.values()];
}

export function analyzeModel(model: Model): ModelStructure {
  const index = new GraphIndex(model.graph);
  const layers = findLayers(index);
  const attention = findAttention(index);
  const tokens = findPrependedTokens(index);
  const swin = findSwinFeatures(index, attention);
  const opHistogram: Record<string, number> = {};
  for (const node of model.graph.nodes) {
    const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType}` : node.opType;
    opHistogram[key] = (opHistogram[key] ?? 0) + 1;
  }
  let totalParams = 0;
  for (const t of model.graph.initializers.values()) totalParams += t.dims.reduce((a, b) => a * b, 1);
  const architecture: Architecture = swin ? 'swin' : tokens.length === 2 ? 'deit-distilled' : tokens.length === 1 ? 'vit' : 'unknown';
  return {
    architecture,
    layers,
    blocks: groupBlocks(layers, attention),
    attention,
    layerNorms: findLayerNorms(index),
    gelus: findGelus(index),
    tokens,
    swin,
    opHistogram,
    totalParams,
  };
}
