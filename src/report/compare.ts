/** Two quantization runs of one model side by side: bits per layer, headline metrics, and settings that differ. */
import type { QuantizeReport } from '../quant/report.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { valueText } from './format.ts';
import { METHOD_LABELS } from './palette.ts';

/** A layer's widths in both runs; null where a run did not quantize it (cancelled before, or another model). */
export interface LayerBits {
  name: string;
  op: string;
  params: number;
  a: number | null;
  b: number | null;
}

export type MetricKey = 'avgBits' | 'modelBytes' | 'sizeRatio' | 'auc' | 'accuracy' | 'agreement';

export interface MetricPair {
  key: MetricKey;
  label: string;
  a: number | null;
  b: number | null;
  /** Which way is better: lower for size, higher for quality. */
  better: 'lower' | 'higher';
}

/** The figures a run is listed with. */
export function headlineOf(report: QuantizeReport): Record<MetricKey, number | null> {
  const ev = report.evaluation;
  return {
    avgBits: report.avgBits,
    modelBytes: report.modelBytes,
    sizeRatio: report.fpBytes > 0 ? report.modelBytes / report.fpBytes : null,
    auc: ev?.quantized.auc ?? null,
    accuracy: ev?.quantized.accuracy ?? null,
    agreement: ev?.agreement ?? null,
  };
}

const METRICS: { key: MetricKey; label: string; better: 'lower' | 'higher' }[] = [
  { key: 'avgBits', label: 'Bits per weight', better: 'lower' },
  { key: 'modelBytes', label: 'Weights (bytes)', better: 'lower' },
  { key: 'sizeRatio', label: 'Size of FP32', better: 'lower' },
  { key: 'auc', label: 'ROC-AUC', better: 'higher' },
  { key: 'accuracy', label: 'Accuracy', better: 'higher' },
  { key: 'agreement', label: 'Same prediction as FP32', better: 'higher' },
];

export function compareMetrics(a: QuantizeReport, b: QuantizeReport): MetricPair[] {
  const [ha, hb] = [headlineOf(a), headlineOf(b)];
  return METRICS.map((m) => ({ ...m, a: ha[m.key], b: hb[m.key] }));
}

/** Every layer of either run, in the first run's order, then any the second alone has. */
export function compareLayers(a: QuantizeReport, b: QuantizeReport): LayerBits[] {
  const inB = new Map(b.layers.map((l) => [l.name, l]));
  const rows: LayerBits[] = a.layers.map((l) => ({ name: l.name, op: l.op, params: l.params, a: l.bits, b: inB.get(l.name)?.bits ?? null }));
  const seen = new Set(a.layers.map((l) => l.name));
  for (const l of b.layers) if (!seen.has(l.name)) rows.push({ name: l.name, op: l.op, params: l.params, a: null, b: l.bits });
  return rows;
}

type Settings = QuantizeReport['settings'];
const settingText = (s: Settings, k: string) => valueText((s as unknown as Record<string, unknown>)[k]);

function differences(a: Settings, b: Settings): { key: string; a: string; b: string }[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => settingText(a, k) !== settingText(b, k)).map((k) => ({ key: k, a: settingText(a, k), b: settingText(b, k) }));
}

/** Settings whose values differ between the runs (the rest are shared). */
export function settingsDifferences(a: QuantizeReport, b: QuantizeReport): { key: string; a: string; b: string }[] {
  return differences(a.settings, b.settings);
}

/** A run's settings where they differ from `defaults`, as "iters 100, seed 7" (method and widths aside: runTitle says them). */
export function settingsSummary(report: QuantizeReport, defaults: Settings = DEFAULT_SETTINGS): string {
  const shown = differences(defaults, report.settings).filter((d) => !['method', 'avgBits', 'actBits'].includes(d.key));
  return shown.length ? shown.map((d) => `${d.key} ${d.b}`).join(', ') : 'default settings';
}

/** A short name for a run: method, weight budget and activation bits, e.g. "DeFakeQ (mixed) W4A8". */
export function runTitle(report: QuantizeReport): string {
  const s = report.settings;
  const method = METHOD_LABELS[s.method] ?? s.method;
  return `${method} W${Number(s.avgBits.toFixed(2))}A${s.actBits ?? 'FP'}${report.cancelled ? ', cancelled' : ''}${report.failed ? ', failed' : ''}`;
}
