import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import type { QuantizeResult } from '../quant/report.ts';
import type { QuantizeSettings } from '../quant/settings.ts';
import type { QuantParams } from '../quant/simulation/quantizer.ts';
import { reportedRange } from '../quant/allocation/weight-ranges.ts';
import { layerCodes, type LayerCodes } from './codes.ts';
import { ExportError } from './errors.ts';
import { packBits, unpackBits } from '../storage/packing.ts';

/**
 * What an export needs from a quantization run, in a form that survives JSON: the model it was
 * made from (by hash), every layer's integer codes, scales and zero points, and the activation
 * parameters. The CLI stores it inside the report file so `export R.json` works later.
 */
export interface ExportSource {
  /** The FP model: its name, hash and size, and where it was read from (the CLI records the path). */
  model: { fileName: string; sha256: string; bytes: number; path?: string };
  method: string;
  settings: QuantizeSettings;
  cancelled: boolean;
  layers: LayerCodes[];
  activations: Map<string, QuantParams>;
  /** Input channels kept in float (VEFT), by activation tensor; absent or empty without. */
  restored?: Map<string, number[]>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Codes of every layer the run quantized; refuses a run that chose no widths (nothing to export). */
export function exportSourceOf(model: Model, result: QuantizeResult, file: ExportSource['model']): ExportSource {
  const { plan, report } = result;
  const layers = analyzeModel(model).layers.filter((l) => plan.layers.has(l.name) && plan.layers.get(l.name)!.bits <= 8);
  if (layers.length === 0) {
    throw new ExportError(report.cancelled ? 'nothing to export: quantization was cancelled before any bit width was chosen' : 'nothing to export: the model has not been quantized yet');
  }
  return {
    model: file,
    method: report.settings.method,
    settings: report.settings,
    cancelled: report.cancelled,
    layers: layers.map((l) => layerCodes(l, model.graph.initializers.get(l.weight)!, plan.layers.get(l.name)!, reportedRange(report, l.name))),
    activations: new Map(plan.activations ?? []),
    ...(plan.restored?.channels.size ? { restored: new Map([...plan.restored.channels].map(([t, c]) => [t, [...c]])) } : {}),
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export const SOURCE_FORMAT = 'defakeq-export-source/1';

export interface SerializedSource {
  format: typeof SOURCE_FORMAT;
  model: ExportSource['model'];
  method: string;
  settings: QuantizeSettings;
  cancelled: boolean;
  layers: { name: string; bits: number; N: number; K: number; scales: number[]; zeroPoints: number[]; codes: string }[];
  activations: ({ tensor: string } & QuantParams)[];
  /** Absent in files written before VEFT. */
  restored?: { tensor: string; channels: number[] }[];
}

export function serializeSource(s: ExportSource): SerializedSource {
  return {
    format: SOURCE_FORMAT,
    model: s.model,
    method: s.method,
    settings: s.settings,
    cancelled: s.cancelled,
    layers: s.layers.map((l) => ({
      name: l.name, bits: l.bits, N: l.N, K: l.K, scales: Array.from(l.scales), zeroPoints: Array.from(l.zeroPoints), codes: toBase64(packBits(l.codes, l.bits)),
    })),
    activations: [...s.activations].map(([tensor, p]) => ({ tensor, ...p })),
    ...(s.restored?.size ? { restored: [...s.restored].map(([tensor, channels]) => ({ tensor, channels })) } : {}),
  };
}

/** Reads a serialized source back; any missing or malformed part is one message naming it. */
export function parseSource(value: unknown, where: string): ExportSource {
  const v = value as Partial<SerializedSource> | null;
  if (!v || typeof v !== 'object' || v.format !== SOURCE_FORMAT) {
    throw new ExportError(`${where} holds no export data (expected "${SOURCE_FORMAT}"); re-run quantize with this version of the CLI`);
  }
  if (!v.model || typeof v.model.sha256 !== 'string' || !Array.isArray(v.layers) || !Array.isArray(v.activations) || !v.settings) {
    throw new ExportError(`${where}: its export data is incomplete (model, layers, activations and settings are required)`);
  }
  const layers = v.layers.map((l, i): LayerCodes => {
    const ok = l && typeof l.name === 'string' && Number.isInteger(l.bits) && l.bits >= 1 && l.bits <= 8 && Number.isInteger(l.N) && Number.isInteger(l.K)
      && Array.isArray(l.scales) && l.scales.length === l.N && Array.isArray(l.zeroPoints) && l.zeroPoints.length === l.N && typeof l.codes === 'string';
    if (!ok) throw new ExportError(`${where}: layer entry ${i}${l && typeof l.name === 'string' ? ` (${l.name})` : ''} is malformed`, l && typeof l.name === 'string' ? [l.name] : []);
    let packed: Uint8Array;
    try {
      packed = fromBase64(l.codes);
    } catch {
      throw new ExportError(`${where}: layer ${l.name}'s codes are not base64`, [l.name]);
    }
    if (packed.length * 8 < l.N * l.K * l.bits) throw new ExportError(`${where}: layer ${l.name} has ${packed.length} bytes of codes, too few for ${l.N}x${l.K} at ${l.bits} bits`, [l.name]);
    return {
      name: l.name, bits: l.bits, N: l.N, K: l.K, scales: Float32Array.from(l.scales), zeroPoints: Uint8Array.from(l.zeroPoints), codes: unpackBits(packed, l.N * l.K, l.bits),
    };
  });
  const restored = v.restored ?? [];
  const badRestore = restored.findIndex((r) => !r || typeof r.tensor !== 'string' || !Array.isArray(r.channels) || !r.channels.every((c) => Number.isInteger(c) && c >= 0));
  if (badRestore >= 0) throw new ExportError(`${where}: restored channel entry ${badRestore} is malformed`);
  return {
    model: v.model, method: v.method ?? v.settings.method, settings: v.settings, cancelled: !!v.cancelled, layers,
    activations: new Map(v.activations.map(({ tensor, scale, zeroPoint, bits }) => [tensor, { scale, zeroPoint, bits }])),
    ...(restored.length ? { restored: new Map(restored.map((r) => [r.tensor, r.channels])) } : {}),
  };
}
