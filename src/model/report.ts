import { defaultOpset, type Model } from '../onnx/ir.ts';
import type { ModelStructure } from './summary.ts';

/** A plain, serialisable description of a model: what `inspect --json` prints and the studio shows. */
export interface ModelReport {
  producer: string;
  opset: number;
  architecture: string;
  inputs: { name: string; shape: (number | string | null)[] | null }[];
  outputs: { name: string; shape: (number | string | null)[] | null }[];
  totalParams: number;
  layers: { name: string; op: string; inFeatures: number; outFeatures: number; params: number }[];
  blocks: { name: string; layers: string[]; attention: string[] }[];
  attention: { name: string; probs: string; additive: number }[];
  layerNorms: { name: string; form: string }[];
  gelus: { name: string; form: string }[];
  tokens: string[];
  swin: ModelStructure['swin'];
  opHistogram: Record<string, number>;
}

export function modelReport(model: Model, s: ModelStructure): ModelReport {
  const opNames = { matmul: 'MatMul', gemm: 'Gemm', conv: 'Conv' } as const;
  return {
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opset: defaultOpset(model),
    architecture: s.architecture,
    inputs: model.graph.inputs.map(({ name, shape }) => ({ name, shape })),
    outputs: model.graph.outputs.map(({ name, shape }) => ({ name, shape })),
    totalParams: s.totalParams,
    layers: s.layers.map((l) => ({ name: l.name, op: opNames[l.kind], inFeatures: l.inFeatures, outFeatures: l.outFeatures, params: l.params })),
    blocks: s.blocks,
    attention: s.attention.map((a) => ({ name: a.name, probs: a.probs, additive: a.additive.length })),
    layerNorms: s.layerNorms.map(({ name, form }) => ({ name, form })),
    gelus: s.gelus.map(({ name, form }) => ({ name, form })),
    tokens: s.tokens,
    swin: s.swin,
    opHistogram: Object.fromEntries(Object.entries(s.opHistogram).sort(([a], [b]) => a.localeCompare(b))),
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The human-readable form of a report, for the terminal. */
export function formatReport(r: ModelReport): string {
  const lines: string[] = [];
  const shape = (s: (number | string | null)[] | null) => (s ? `[${s.map((d) => d ?? '?').join(', ')}]` : '[?]');
  lines.push(`${r.architecture} model, opset ${r.opset}${r.producer ? `, from ${r.producer}` : ''}`);
  lines.push(`inputs: ${r.inputs.map((i) => `${i.name} ${shape(i.shape)}`).join(', ')}`);
  lines.push(`outputs: ${r.outputs.map((o) => `${o.name} ${shape(o.shape)}`).join(', ')}`);
  lines.push(`parameters: ${fmt(r.totalParams)}`);
  lines.push('', `layers (${r.layers.length}):`);
  const width = Math.max(4, ...r.layers.map((l) => l.name.length));
  lines.push(`  ${'name'.padEnd(width)}  op      in      out     params`);
  for (const l of r.layers) {
    lines.push(`  ${l.name.padEnd(width)}  ${l.op.padEnd(6)}  ${String(l.inFeatures).padEnd(6)}  ${String(l.outFeatures).padEnd(6)}  ${fmt(l.params)}`);
  }
  lines.push('', `blocks (${r.blocks.length}): ${r.blocks.map((b) => `${b.name} (${b.layers.length} layers)`).join(', ')}`);
  lines.push(`attention cores: ${r.attention.length}; layer norms: ${r.layerNorms.length}; GELU: ${r.gelus.length}`);
  if (r.tokens.length) lines.push(`prepended tokens: ${r.tokens.join(', ')}`);
  if (r.swin) {
    lines.push(`swin: window ${r.swin.windowSize}, ${r.swin.shiftedAttention} shifted of ${r.swin.windowedAttention} windowed attention, ${r.swin.patchMerges} patch merging`);
  }
  lines.push('', 'ops: ' + Object.entries(r.opHistogram).map(([op, n]) => `${op} ${n}`).join(', '));
  return lines.join('\n');
}
