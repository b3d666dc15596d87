/** The report's tables, as HTML text; every value from a file is escaped. */
import type { QuantizeReport } from '../quant/report.ts';
import { bitsText, bytesText, escapeHtml, kib, pct, signedChange, valueText } from './format.ts';
import type { HashedFile, ReportExport, ReportInput, ReportSweep } from './input.ts';
import { METHOD_LABELS } from './palette.ts';

/** A table from already-escaped cells; the first cell of each row is its header. */
export function table(id: string, head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('');
  const body = rows.map(([first, ...rest]) => `<tr><th scope="row">${first}</th>${rest.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  // A table of name/value pairs has no column heads.
  const thead = head.some(Boolean) ? `<thead><tr>${th}</tr></thead>` : '';
  return `<table id="${id}">${thead}<tbody>${body}</tbody></table>`;
}

const dash = '–';
const e = escapeHtml;

export function layersTable(report: QuantizeReport): string {
  const rows = report.layers.map((l) => [
    e(l.name), e(l.op), bitsText(l.bits), l.params.toLocaleString('en'), l.score.toPrecision(3),
    l.sqnr === null ? dash : l.sqnr.toFixed(1),
    l.bits >= 32 || !l.range ? dash : l.range === 'mse' ? 'least squared error' : 'min/max',
    l.reconstructed ? 'learned' : 'nearest',
    l.reconstructionLoss && l.reconstructionLoss.nearest > 0 ? (l.reconstructionLoss.learned / l.reconstructionLoss.nearest).toFixed(3) : dash,
  ]);
  return table('layers', ['Layer', 'Op', 'Bits', 'Parameters', 'Importance S_l', 'SQNR (dB)', 'Weight range', 'Rounding', 'Layer error, learned / nearest'], rows);
}

/** FP32 against the quantized model on the labelled set. */
export function evaluationTable(report: QuantizeReport): string {
  const ev = report.evaluation;
  if (!ev) return '<p class="note">No labelled evaluation set was given: no AUC or accuracy.</p>';
  const change = ev.aucChange ? ` <span class="note">(${signedChange(ev.aucChange.difference, ev.aucChange.standardError)})</span>` : '';
  return table('evaluation', ['', 'FP32', 'Quantized'], [
    ['ROC-AUC', ev.fp.auc.toFixed(4), `${ev.quantized.auc.toFixed(4)}${change}`],
    ['Accuracy', pct(ev.fp.accuracy), pct(ev.quantized.accuracy)],
    ['Same prediction as FP32', dash, pct(ev.agreement)],
    ['Images', String(ev.fp.n), String(ev.quantized.n)],
    ['Fake class', String(ev.fakeIndex ?? 1), String(ev.fakeIndex ?? 1)],
  ]);
}

export function settingsTable(report: QuantizeReport): string {
  const rows = Object.entries(report.settings).map(([key, value]) => [e(key), e(valueText(value))]);
  return table('settings', ['Setting', 'Value'], rows);
}

export function timingsTable(report: QuantizeReport): string {
  const rows = Object.entries(report.timings).map(([stage, ms]) => [e(stage), `${((ms ?? 0) / 1000).toFixed(2)} s`]);
  return rows.length ? table('timings', ['Stage', 'Time'], rows) : '';
}

export function verificationTable(exported: ReportExport): string {
  if (exported.verification.length === 0) return '<p class="note">The file was not run in onnxruntime when this report was written.</p>';
  const rows = exported.verification.map((v) => [
    e(v.runtime), v.ok ? 'ran' : `failed: ${e(v.error ?? 'unknown')}`, String(v.images),
    v.maxAbsDeltaLogit === null ? dash : v.maxAbsDeltaLogit.toExponential(2),
    v.agreement === null ? dash : pct(v.agreement),
    v.auc === null ? dash : v.auc.toFixed(4),
    v.msPerImage === null ? dash : v.msPerImage.toFixed(2),
    v.fpMsPerImage === null || v.fpMsPerImage === undefined || v.msPerImage === null ? dash : `${(v.msPerImage / v.fpMsPerImage).toFixed(2)}×`,
    !v.runtime.includes('webgpu') || !v.placement.length ? dash : String(v.fellBack.length),
  ]);
  return table('verification', ['Runtime', 'Result', 'Images', 'Max |Δlogit| vs simulation', 'Same prediction', 'AUC', 'ms / image', 'vs FP file', 'Nodes off the EP'], rows);
}

export function sweepTable(sweep: ReportSweep): string {
  const rows = [
    ['FP32', '32', kib(sweep.fp.bytes), '100.0%', pct(sweep.fp.accuracy), sweep.fp.auc.toFixed(4), dash, dash],
    ...[...sweep.points].sort((a, b) => a.budget - b.budget).map((p) => {
      const r = p.result;
      const head = `${e(METHOD_LABELS[p.method] ?? p.method)}, budget ${p.budget}`;
      if (!r) return [head, `<span class="note">${e(p.message ?? 'no result')}</span>`, '', '', '', '', '', ''];
      const versus = r.versusAdaRound ? signedChange(r.versusAdaRound.difference, r.versusAdaRound.standardError) : dash;
      return [head, r.avgBits.toFixed(2), kib(r.modelBytes), pct(r.modelBytes / sweep.fp.bytes), pct(r.accuracy), r.auc.toFixed(4), versus, pct(r.agreement)];
    }),
  ];
  return table('sweep', ['Model', 'Bits / weight', 'Size', 'of FP32', 'Accuracy', 'ROC-AUC', 'AUC vs uniform AdaRound', 'Agreement with FP'], rows);
}

export function hashesTable(files: HashedFile[], exported: ReportExport | null): string {
  const rows = [
    ...files.map((f) => [e(f.name), 'model', bytesText(f.bytes), `<code>${e(f.sha256)}</code>`]),
    ...(exported ? [[e(exported.file.name), 'export', bytesText(exported.file.bytes), `<code>${e(exported.file.sha256)}</code>`]] : []),
  ];
  return rows.length ? table('hashes', ['File', 'Role', 'Size', 'SHA-256'], rows) : '<p class="note">No file hashes were recorded.</p>';
}

export function environmentTable(input: ReportInput): string {
  const env = input.environment;
  const a = env?.adapter;
  const rows = [
    ['Run on', env ? e(env.runtime) : 'not recorded'],
    ['WebGPU adapter', a ? e([a.description || a.device || 'unnamed', `${a.vendor} ${a.architecture}`.trim()].filter(Boolean).join(', ') + (a.isFallbackAdapter ? ' (software, on the CPU)' : '')) : 'not recorded'],
    ...(a ? [['Adapter features', e(a.features.join(', ') || 'none')]] : []),
    ...Object.entries(env?.versions ?? {}).map(([name, version]) => [e(name), e(version)]),
    ['Report written by', e(input.writtenBy)],
    ['Report written at', e(input.created)],
  ];
  return table('environment', [], rows);
}
