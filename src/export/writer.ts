import { analyzeModel } from '../model/summary.ts';
import type { QuantLayer } from '../model/layers.ts';
import { elementCount, type DType, type Model, type Node, type Tensor } from '../onnx/ir.ts';
import type { QuantParams } from '../quant/simulation/quantizer.ts';
import { storedIndex, type LayerCodes } from './codes.ts';
import { ExportError, listLayers } from './errors.ts';
import { upgradeOpset } from './opset.ts';
import { addRestoredBranch, restoredColumns, type RestoredPlan } from '../quant/simulation/restored.ts';
import { checkTarget, TARGET_FORMAT, type ExportTarget } from './targets.ts';
import { consumersOf, layerLayout, nbitsObstacle, type LayerShape, type WeightFormat } from '../storage/layout.ts';
import { packBits, packedBytes, qdqContainer } from '../storage/packing.ts';

/**
 * Writes the quantized graph: every quantized weight as integer codes with per-channel scales and
 * zero points, as DequantizeLinear (uint4 at opset 21, uint8) feeding the original MatMul/Gemm/
 * Conv, or as com.microsoft MatMulNBits; activations as QuantizeLinear/DequantizeLinear pairs.
 * Names follow onnxruntime's quantization tools (W_quantized, W_scale, W_zero_point,
 * W_DequantizeLinear). Restored input channels (VEFT) become a Gather of the float input, a small
 * float MatMul and an Add after the quantized layer (quant/simulation/restored.ts), as simulated.
 */

export type { WeightFormat } from '../storage/layout.ts';
export { TARGET_FORMAT, TARGETS, type ExportTarget } from './targets.ts';

export type { RestoredPlan } from '../quant/simulation/restored.ts';

export interface ExportInput {
  /** The full-precision model the codes were made from. */
  model: Model;
  layers: readonly LayerCodes[];
  /** Per-tensor activation parameters, keyed by the quantized layer's input tensor. */
  activations: ReadonlyMap<string, QuantParams>;
  /** Input channels kept in float (VEFT), by activation tensor: their codes must be the zero point (restored.ts). */
  restored?: RestoredPlan;
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
  /** Bytes of codes, scales, zero points and float32 bias (storage/layout.ts). */
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

function node(name: string, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}, domain = ''): Node {
  return { name, opType, domain, inputs, outputs, attrs };
}

const DTYPE_BITS: Partial<Record<DType, number>> = {
  float64: 64, float32: 32, float16: 16, bfloat16: 16, uint64: 64, int64: 64, uint32: 32, int32: 32, uint16: 16, int16: 16, uint8: 8, int8: 8, bool: 8, uint4: 4, int4: 4,
};

/** Bytes of a tensor's values as encoded (4-bit types two to a byte). */
export function tensorBytes(t: Tensor | undefined): number {
  if (!t) return 0;
  const bits = DTYPE_BITS[t.dtype];
  if (bits === undefined) throw new Error(`tensorBytes: no size for ${t.dtype}`);
  return Math.ceil((elementCount(t.dims) * bits) / 8);
}

export function writeQuantizedModel(input: ExportInput, options: ExportOptions): WrittenModel {
  const { model } = input;
  const format = options.format ?? TARGET_FORMAT[options.target];
  if (input.layers.length === 0) throw new ExportError('nothing to export: the model has not been quantized yet (run quantization first)');
  const actWidths = [...input.activations.values()].map((p) => p.bits);
  checkTarget(options.target, format, actWidths.length ? Math.max(...actWidths) : null);
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

  const restored = input.restored?.channels ?? new Map<string, readonly number[]>();
  const restoreProblems = quantizable.filter((l) => codesOf.has(l.name) && restored.has(l.input)).filter((l) => {
    const channels = restored.get(l.input)!;
    const c = codesOf.get(l.name)!;
    const valid = l.kind !== 'conv' && channels.every((k) => Number.isInteger(k) && k >= 0 && k < l.inFeatures) && new Set(channels).size === channels.length;
    return !valid || channels.some((k) => Array.from({ length: c.N }, (_, n) => c.codes[n * c.K + k] !== c.zeroPoints[n]).some(Boolean));
  }).map((l) => l.name);
  if (restoreProblems.length) throw listLayers('restored input channels must be distinct valid channels of a MatMul/Gemm input, whose codes are the zero point', restoreProblems);

  const consumers = consumersOf(model);
  if (format === 'nbits') {
    const inexpressible = quantizable.filter((l) => codesOf.has(l.name) && l.kind !== 'conv' && nbitsObstacle(l, consumers) !== null).map((l) => l.name);
    if (inexpressible.length) throw listLayers('MatMulNBits cannot express these layers (Gemm with transA/alpha/beta, or a transposed weight read elsewhere); export them with --format qdq or auto', inexpressible);
  }
  const shapeOf = (l: QuantLayer): LayerShape => ({ N: l.outFeatures, K: l.inFeatures, biasCount: l.params - l.inFeatures * l.outFeatures, nbits: nbitsObstacle(l, consumers) === null });
  if (options.blockSize !== undefined && (!Number.isInteger(options.blockSize) || options.blockSize < 16 || (options.blockSize & (options.blockSize - 1)) !== 0)) {
    throw new ExportError(`MatMulNBits block size must be a power of two, at least 16; got ${options.blockSize}`);
  }

  const initializers = new Map(model.graph.initializers);
  const rename = new Map<string, string>();
  const headNodes: Node[] = [];
  const replaced = new Map<Node, Node[]>();
  const removed = new Set<Node>();
  const written: WrittenLayer[] = [];
  const add = (t: Tensor) => initializers.set(t.name, t);
  const emitted = (W: string) => [`${W}_quantized`, `${W}_scale`, `${W}_zero_point`].reduce((sum, name) => sum + tensorBytes(initializers.get(name)), 0);

  for (const layer of quantizable) {
    const c = codesOf.get(layer.name);
    if (!c) continue;
    const weight = model.graph.initializers.get(layer.weight)!;
    const W = layer.weight;
    const biasBytes = layer.bias ? tensorBytes(model.graph.initializers.get(layer.bias)) : 0;
    const restoredCount = restored.get(layer.input)?.length ?? 0;
    // The restored branch's float32 columns and int64 indices (export.ts takes off what float16 saves).
    const restoredBytes = restoredCount * (4 * layer.outFeatures + 8);
    const chosen = layerLayout(shapeOf(layer), c.bits, format, options.blockSize);
    if (chosen.format === 'nbits') {
      const bits = chosen.containerBits;
      const block = chosen.blockSize!;
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
      written.push({ name: layer.name, bits: c.bits, storedBits: bits, format: `MatMulNBits ${bits}-bit, block ${block}`, bytes: emitted(W) + biasBytes + restoredBytes, restoredChannels: restoredCount });
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
      written.push({ name: layer.name, bits: c.bits, storedBits: dtype === 'uint4' ? 4 : 8, format: `DequantizeLinear ${dtype} per channel`, bytes: emitted(W) + biasBytes + restoredBytes, restoredChannels: restoredCount });
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
    }
    nodes.push(...group);
  }
  let withBranches = nodes;
  for (const layer of quantizable) {
    const channels = restored.get(layer.input);
    if (!channels?.length || !codesOf.has(layer.name)) continue;
    const columns = restoredColumns(layer, model.graph.initializers.get(layer.weight)!, channels, input.restored!.half);
    const branch = addRestoredBranch(withBranches, model.graph.outputs.map((o) => o.name), layer, columns, channels);
    withBranches = branch.nodes;
    branch.tensors.forEach(add);
  }

  const used = new Set(withBranches.flatMap((n) => n.inputs));
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

  const anyNbits = written.some((w) => w.format.startsWith('MatMulNBits'));
  const opsets = anyNbits && !model.opsets.some((o) => o.domain === 'com.microsoft') ? [...model.opsets, { domain: 'com.microsoft', version: 1 }] : model.opsets;
  const out = upgradeOpset({
    ...model,
    producerName: 'defakeq-studio',
    producerVersion: '0.1.0',
    opsets,
    metadata,
    graph: { ...model.graph, nodes: withBranches, initializers, valueInfo: new Map() },
  });
  return {
    model: out, target: options.target, format, layers: written,
    activations: activationOut.size === 0 ? 'none (float activations)' : `QuantizeLinear/DequantizeLinear uint8 per tensor${narrow ? ' (narrower widths clipped to their range first)' : ''}`,
    floatLayers,
  };
}
