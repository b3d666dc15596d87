import { analyzeModel } from '../model/summary.ts';
import type { QuantLayer } from '../model/layers.ts';
import type { DType, Model, Node, Tensor } from '../onnx/ir.ts';
import type { QuantParams } from '../quant/quantizer.ts';
import { storedIndex, type LayerCodes } from './codes.ts';
import { ExportError, listLayers } from './errors.ts';
import { upgradeOpset } from './opset.ts';
import { nbitsContainer, packBits, packedBytes, qdqContainer } from './packing.ts';

/**
 * Writes the quantized graph: every quantized weight as integer codes with per-channel scales and
 * zero points, as DequantizeLinear (uint4 at opset 21, uint8) feeding the original MatMul/Gemm/
 * Conv, or as com.microsoft MatMulNBits; activations as QuantizeLinear/DequantizeLinear pairs.
 * Names follow onnxruntime's quantization tools (W_quantized, W_scale, W_zero_point,
 * W_DequantizeLinear). Restored full-precision channels (VEFT) become a small MatMul whose result
 * is scattered into the quantized product's columns and added to it.
 */

export type ExportTarget = 'wasm' | 'webgpu';
export type WeightFormat = 'qdq' | 'nbits';

export const TARGETS: readonly ExportTarget[] = ['wasm', 'webgpu'];

/**
 * Per target: the weight format (DequantizeLinear per channel is exact and the smallest for
 * per-channel parameters; MatMulNBits repeats the channel's scale in every block) and how
 * activations below 8 bits are written (uint4 activation Q/DQ does not load on the native WebGPU
 * EP, so every target uses uint8 Q/DQ, clipped to the narrower range first). Measured with
 * onnxruntime-web 1.30: the native WebGPU EP has no QuantizeLinear (nor Round) kernel, so it runs
 * the activation QuantizeLinear on the CPU, exactly; verification lists those nodes.
 */
export const TARGET_FORMAT: Record<ExportTarget, WeightFormat> = { wasm: 'qdq', webgpu: 'qdq' };

/** Extra full-precision output channels of one layer: column j of `weight` (K x r, row-major) adds to output channel channels[j]. */
export interface RestoredChannels {
  channels: number[];
  weight: Float32Array;
}

export interface ExportInput {
  /** The full-precision model the codes were made from. */
  model: Model;
  layers: readonly LayerCodes[];
  /** Per-tensor activation parameters, keyed by the quantized layer's input tensor. */
  activations: ReadonlyMap<string, QuantParams>;
  restored?: ReadonlyMap<string, RestoredChannels>;
  /** Recorded in metadata_props (method, settings, ...). */
  metadata?: Record<string, unknown>;
}

export interface ExportOptions {
  target: ExportTarget;
  format?: WeightFormat;
  /** MatMulNBits block size; default: the one giving the fewest bytes. */
  blockSize?: number;
}

export interface WrittenLayer {
  name: string;
  bits: number;
  /** The container the codes are stored in (the true width is `bits`). */
  storedBits: number;
  format: string;
  /** Bytes of codes, scales and zero points. */
  bytes: number;
  restoredChannels: number;
}

export interface WrittenModel {
  model: Model;
  target: ExportTarget;
  format: WeightFormat;
  layers: WrittenLayer[];
  /** How activations are quantized in the file, e.g. "QuantizeLinear/DequantizeLinear uint8 per tensor". */
  activations: string;
  /** Quantizable layers left in float32 (no codes given). */
  floatLayers: string[];
}

const scalar = (name: string, dtype: DType, value: number): Tensor => ({
  name, dtype, dims: [], data: dtype === 'float32' ? Float32Array.of(value) : Uint8Array.of(value),
});

/** The MatMulNBits block with the fewest bytes for a K-long row (per-channel scales repeat per block). */
export function bestBlockSize(K: number, bits: number): number {
  let best = 16;
  let bestBytes = Infinity;
  for (let block = 16; block <= 256; block *= 2) {
    const kBlocks = Math.ceil(K / block);
    const bytes = kBlocks * ((block * bits) / 8 + 4) + packedBytes(kBlocks, bits);
    if (bytes < bestBytes) {
      best = block;
      bestBytes = bytes;
    }
  }
  return best;
}

function node(name: string, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}, domain = ''): Node {
  return { name, opType, domain, inputs, outputs, attrs };
}

function intAttr(n: Node, name: string, fallback: number): number {
  const a = n.attrs[name];
  return a?.type === 'int' ? a.value : fallback;
}

function floatAttr(n: Node, name: string, fallback: number): number {
  const a = n.attrs[name];
  return a?.type === 'float' ? a.value : a?.type === 'int' ? a.value : fallback;
}

export function writeQuantizedModel(input: ExportInput, options: ExportOptions): WrittenModel {
  const { model } = input;
  const format = options.format ?? TARGET_FORMAT[options.target];
  if (input.layers.length === 0) throw new ExportError('nothing to export: the model has not been quantized yet (run quantization first)');
  const structure = analyzeModel(model);
  const quantizable = structure.layers.filter((l) => model.graph.initializers.has(l.weight));
  const byName = new Map(quantizable.map((l) => [l.name, l]));
  const unknown = input.layers.filter((c) => !byName.has(c.name)).map((c) => c.name);
  if (unknown.length) throw listLayers('these quantized layers are not in the model', unknown);
  const codesOf = new Map(input.layers.map((c) => [c.name, c]));

  const mismatched = input.layers.filter((c) => {
    const l = byName.get(c.name)!;
    return c.N !== l.outFeatures || c.K !== l.inFeatures || c.codes.length !== c.N * c.K || c.scales.length !== c.N || c.zeroPoints.length !== c.N;
  }).map((c) => c.name);
  if (mismatched.length) throw listLayers("these layers' codes do not match their weight's shape", mismatched);
  const badBits = input.layers.filter((c) => !Number.isInteger(c.bits) || c.bits < 2 || c.bits > 8).map((c) => `${c.name} (${c.bits} bits)`);
  if (badBits.length) throw listLayers('the writer stores 2 to 8 bits; these layers have other widths', badBits);

  // A weight read by two layers must be quantized once.
  const weightUsers = new Map<string, QuantLayer[]>();
  for (const l of quantizable) weightUsers.set(l.weight, [...(weightUsers.get(l.weight) ?? []), l]);
  const shared = [...weightUsers.values()].filter((ls) => ls.length > 1 && ls.some((l) => codesOf.has(l.name))).flat().map((l) => l.name);
  if (shared.length) throw listLayers('layers sharing one weight tensor cannot be exported separately', shared);

  const restored = input.restored ?? new Map<string, RestoredChannels>();
  const restoreProblems = [...restored].filter(([name, r]) => {
    const l = byName.get(name);
    return !l || l.kind === 'conv' || !codesOf.has(name) || r.channels.some((c) => !Number.isInteger(c) || c < 0 || c >= l.outFeatures) || r.weight.length !== l.inFeatures * r.channels.length || new Set(r.channels).size !== r.channels.length;
  }).map(([name]) => name);
  if (restoreProblems.length) throw listLayers('restored channels must name quantized MatMul/Gemm layers, distinct valid channels and a K x r weight', restoreProblems);

  const consumers = new Map<string, Node[]>();
  for (const n of model.graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);

  const nbitsLayers = format === 'nbits' ? quantizable.filter((l) => codesOf.has(l.name) && l.kind !== 'conv') : [];
  const inexpressible = nbitsLayers.filter((l) => {
    if (l.kind === 'gemm') return intAttr(l.node, 'transA', 0) !== 0 || floatAttr(l.node, 'alpha', 1) !== 1 || floatAttr(l.node, 'beta', 1) !== 1;
    if (l.layout === 'NxK') return (consumers.get(l.node.inputs[1]) ?? []).length !== 1;
    return false;
  }).map((l) => l.name);
  if (inexpressible.length) throw listLayers('MatMulNBits cannot express these layers (Gemm with transA/alpha/beta, or a transposed weight read elsewhere); export them with --format qdq', inexpressible);

  const initializers = new Map(model.graph.initializers);
  const rename = new Map<string, string>();
  const headNodes: Node[] = [];
  const replaced = new Map<Node, Node[]>();
  const removed = new Set<Node>();
  const written: WrittenLayer[] = [];
  const add = (t: Tensor) => initializers.set(t.name, t);

  for (const layer of quantizable) {
    const c = codesOf.get(layer.name);
    if (!c) continue;
    const weight = model.graph.initializers.get(layer.weight)!;
    const W = layer.weight;
    if (format === 'nbits' && layer.kind !== 'conv') {
      const bits = nbitsContainer(c.bits);
      const block = options.blockSize ?? bestBlockSize(c.K, bits);
      if (block < 16 || (block & (block - 1)) !== 0) throw new ExportError(`MatMulNBits block size must be a power of two, at least 16; got ${block}`);
      const kBlocks = Math.ceil(c.K / block);
      const blob = (block * bits) / 8;
      const B = new Uint8Array(c.N * kBlocks * blob);
      const scales = new Float32Array(c.N * kBlocks);
      const zpRow = packedBytes(kBlocks, bits);
      const zps = new Uint8Array(c.N * zpRow);
      const row = new Uint8Array(kBlocks * block);
      for (let n = 0; n < c.N; n++) {
        row.fill(c.zeroPoints[n]); // padding past K dequantizes to exactly 0
        row.set(c.codes.subarray(n * c.K, (n + 1) * c.K));
        B.set(packBits(row, bits), n * kBlocks * blob);
        scales.fill(c.scales[n], n * kBlocks, (n + 1) * kBlocks);
        zps.set(packBits(new Uint8Array(kBlocks).fill(c.zeroPoints[n]), bits), n * zpRow);
      }
      add({ name: `${W}_quantized`, dtype: 'uint8', dims: [c.N, kBlocks, blob], data: B });
      add({ name: `${W}_scale`, dtype: 'float32', dims: [c.N * kBlocks], data: scales });
      add({ name: `${W}_zero_point`, dtype: 'uint8', dims: [c.N * zpRow], data: zps });
      const nodeName = layer.node.name || `${W}_MatMul`;
      const nbitsOut = layer.kind === 'gemm' && layer.node.inputs[2] ? `${nodeName}_MatMulNBits_Output` : layer.node.outputs[0];
      const nbits = node(`${nodeName}_MatMulNBits`, 'MatMulNBits', [layer.node.inputs[0], `${W}_quantized`, `${W}_scale`, `${W}_zero_point`], [nbitsOut], {
        K: { type: 'int', value: c.K }, N: { type: 'int', value: c.N }, bits: { type: 'int', value: bits }, block_size: { type: 'int', value: block },
      }, 'com.microsoft');
      const nodes = [nbits];
      if (nbitsOut !== layer.node.outputs[0]) nodes.push(node(`${nodeName}_bias`, 'Add', [nbitsOut, layer.node.inputs[2]], [layer.node.outputs[0]]));
      replaced.set(layer.node, nodes);
      if (layer.layout === 'NxK' && layer.kind === 'matmul') {
        const transpose = model.graph.nodes.find((n) => n.outputs[0] === layer.node.inputs[1]);
        if (transpose) removed.add(transpose);
      }
      initializers.delete(W);
      written.push({ name: layer.name, bits: c.bits, storedBits: bits, format: `MatMulNBits ${bits}-bit, block ${block}`, bytes: B.length + scales.byteLength + zps.length, restoredChannels: restored.get(layer.name)?.channels.length ?? 0 });
    } else {
      const dtype = qdqContainer(c.bits);
      const stored = new Uint8Array(c.N * c.K);
      for (let n = 0; n < c.N; n++) for (let k = 0; k < c.K; k++) stored[storedIndex(layer, weight.dims, n, k)] = c.codes[n * c.K + k];
      add({ name: `${W}_quantized`, dtype, dims: [...weight.dims], data: stored });
      add({ name: `${W}_scale`, dtype: 'float32', dims: [c.N], data: Float32Array.from(c.scales) });
      add({ name: `${W}_zero_point`, dtype, dims: [c.N], data: Uint8Array.from(c.zeroPoints) });
      const out = `${W}_DequantizeLinear_Output`;
      headNodes.push(node(`${W}_DequantizeLinear`, 'DequantizeLinear', [`${W}_quantized`, `${W}_scale`, `${W}_zero_point`], [out], {
        axis: { type: 'int', value: layer.layout === 'KxN' ? 1 : 0 },
      }));
      rename.set(W, out);
      initializers.delete(W);
      const storedBits = dtype === 'uint4' ? 4 : 8;
      written.push({ name: layer.name, bits: c.bits, storedBits, format: `DequantizeLinear ${dtype} per channel`, bytes: packedBytes(c.N * c.K, storedBits) * 1 + c.N * 4 + packedBytes(c.N, storedBits), restoredChannels: restored.get(layer.name)?.channels.length ?? 0 });
    }
  }

  // Activations: one Q/DQ pair per quantized layer input, read only by the quantized layers (as simulated).
  const activationOut = new Map<string, string>();
  const activationNodes = new Map<string, Node[]>();
  let narrow = false;
  for (const layer of quantizable) {
    if (!codesOf.has(layer.name)) continue;
    const p = input.activations.get(layer.input);
    if (!p || activationOut.has(layer.input)) continue;
    if (!Number.isInteger(p.bits) || p.bits < 2 || p.bits > 8) throw listLayers(`activation width ${p.bits} cannot be written (2 to 8 bits)`, [layer.name]);
    const X = layer.input;
    const nodes: Node[] = [];
    let source = X;
    if (p.bits < 8) {
      narrow = true;
      const levels = 2 ** p.bits - 1;
      add(scalar(`${X}_clip_min`, 'float32', Math.fround(p.scale * (0 - p.zeroPoint))));
      add(scalar(`${X}_clip_max`, 'float32', Math.fround(p.scale * (levels - p.zeroPoint))));
      nodes.push(node(`${X}_Clip`, 'Clip', [X, `${X}_clip_min`, `${X}_clip_max`], [`${X}_Clip_Output`]));
      source = `${X}_Clip_Output`;
    }
    add(scalar(`${X}_scale`, 'float32', p.scale));
    add(scalar(`${X}_zero_point`, 'uint8', p.zeroPoint));
    nodes.push(node(`${X}_QuantizeLinear`, 'QuantizeLinear', [source, `${X}_scale`, `${X}_zero_point`], [`${X}_quantized`]));
    nodes.push(node(`${X}_DequantizeLinear`, 'DequantizeLinear', [`${X}_quantized`, `${X}_scale`, `${X}_zero_point`], [`${X}_DequantizeLinear_Output`]));
    activationOut.set(X, `${X}_DequantizeLinear_Output`);
    activationNodes.set(X, nodes);
  }
  const quantizedNodes = new Set(quantizable.filter((l) => codesOf.has(l.name)).map((l) => l.node));
  const layerOfNode = new Map(quantizable.map((l) => [l.node, l]));

  const nodes: Node[] = [...headNodes];
  const emittedActivations = new Set<string>();
  for (const original of model.graph.nodes) {
    if (removed.has(original)) continue;
    const renamed: Node = { ...original, inputs: original.inputs.map((i) => rename.get(i) ?? i) };
    const layer = layerOfNode.get(original);
    const group = replaced.get(original) ?? [renamed];
    if (layer && quantizedNodes.has(original)) {
      const X = layer.input;
      const dq = activationOut.get(X);
      if (dq) {
        if (!emittedActivations.has(X)) {
          nodes.push(...activationNodes.get(X)!);
          emittedActivations.add(X);
        }
        group[0] = { ...group[0], inputs: group[0].inputs.map((name, i) => (i === 0 ? dq : name)) };
      }
      const r = restored.get(layer.name);
      if (r) group.push(...restoredNodes(layer, r, group, add));
    }
    nodes.push(...group);
  }

  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const o of model.graph.outputs) used.add(o.name);
  for (const [name] of model.graph.initializers) if (!used.has(name)) initializers.delete(name);

  const floatLayers = quantizable.filter((l) => !codesOf.has(l.name)).map((l) => l.name);
  const metadata: Record<string, string> = {
    ...model.metadata,
    'defakeq.target': options.target,
    'defakeq.weight_format': format,
    'defakeq.layers': JSON.stringify(written.map(({ name, bits, storedBits, format: f, restoredChannels }) => ({ name, bits, storedBits, format: f, restoredChannels }))),
    'defakeq.activations': JSON.stringify([...activationOut.keys()].map((X) => ({ tensor: X, ...input.activations.get(X)! }))),
    'defakeq.float_layers': JSON.stringify(floatLayers),
  };
  for (const [k, v] of Object.entries(input.metadata ?? {})) metadata[`defakeq.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);

  const opsets = format === 'nbits' && !model.opsets.some((o) => o.domain === 'com.microsoft') ? [...model.opsets, { domain: 'com.microsoft', version: 1 }] : model.opsets;
  const out = upgradeOpset({
    ...model,
    producerName: 'defakeq-studio',
    producerVersion: '0.1.0',
    opsets,
    metadata,
    graph: { ...model.graph, nodes, initializers, valueInfo: new Map() },
  });
  return {
    model: out, target: options.target, format, layers: written,
    activations: activationOut.size === 0 ? 'none (float activations)' : `QuantizeLinear/DequantizeLinear uint8 per tensor${narrow ? ' (narrower widths clipped to their range first)' : ''}`,
    floatLayers,
  };
}

/**
 * The restored channels' small MatMul on the layer's (dequantized) input, scattered into their
 * columns by a one-hot [r, N] product (exact: one 1 per column) and added to the quantized result.
 * The group's last node is renamed to write the quantized part.
 */
function restoredNodes(layer: QuantLayer, r: RestoredChannels, group: Node[], add: (t: Tensor) => void): Node[] {
  const last = group.length - 1;
  const final = group[last].outputs[0];
  const partial = `${final}_quantized_part`;
  group[last] = { ...group[last], outputs: [partial] };
  const id = `${layer.weight}_restored`;
  const N = layer.outFeatures;
  const scatter = new Float32Array(r.channels.length * N);
  r.channels.forEach((ch, j) => (scatter[j * N + ch] = 1));
  add({ name: `${id}_weight`, dtype: 'float32', dims: [layer.inFeatures, r.channels.length], data: Float32Array.from(r.weight) });
  add({ name: `${id}_scatter`, dtype: 'float32', dims: [r.channels.length, N], data: scatter });
  return [
    node(`${id}_MatMul`, 'MatMul', [group[0].inputs[0], `${id}_weight`], [`${id}_channels`]),
    node(`${id}_Scatter`, 'MatMul', [`${id}_channels`, `${id}_scatter`], [`${id}_columns`]),
    node(`${id}_Add`, 'Add', [partial, `${id}_columns`], [final]),
  ];
}
