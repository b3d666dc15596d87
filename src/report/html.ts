/**
 * The shareable report: one HTML file holding everything (styles inline, charts as inline SVG, no
 * script, font, image or link to fetch), so it opens offline and can be mailed or archived. Pure
 * text in, text out: the page's worker and the CLI call the same function.
 */
import type { QuantizeReport } from '../quant/report.ts';
import { bitsText, escapeHtml, kib, pct, signedChange } from './format.ts';
import type { ReportInput, ReportLive, ReportSweep } from './input.ts';
import { bitColor, METHOD_COLORS, METHOD_LABELS } from './palette.ts';
import { barChart, lineChart, type Marker } from './svg.ts';
import { environmentTable, evaluationTable, hashesTable, layersTable, settingsTable, sweepTable, timingsTable, verificationTable } from './tables.ts';
import { REPORT_CSS } from './style.ts';
import { veftSection } from './veft.ts';

const e = escapeHtml;
const MARKERS: Record<string, Marker> = { rtn: 'triangle', adaround: 'square', defakeq: 'circle' };
const FORMATS: Record<string, string> = { auto: 'DequantizeLinear or MatMulNBits, per layer the smaller', qdq: 'DequantizeLinear', nbits: 'MatMulNBits' };

export function bitsChart(report: QuantizeReport): string {
  const layers = report.layers;
  const top = Math.max(8, ...layers.map((l) => (l.bits >= 32 ? 8 : l.bits)));
  return barChart({
    title: `Bits per layer for ${layers.length} layers`,
    labels: layers.map((l) => l.name),
    series: [{ name: 'bits', values: layers.map((l) => (l.bits >= 32 ? top : l.bits)), colors: layers.map((l) => bitColor(l.bits)), valueLabels: layers.map((l) => bitsText(l.bits)) }],
    yTitle: 'bits per weight',
    yMax: top + 1,
  });
}

function sqnrChart(report: QuantizeReport): string {
  const layers = report.layers.filter((l) => l.sqnr !== null && Number.isFinite(l.sqnr));
  if (layers.length === 0) return '';
  return barChart({
    title: `SQNR per layer for ${layers.length} layers`,
    labels: layers.map((l) => l.name),
    series: [{ name: 'SQNR', values: layers.map((l) => Math.max(0, l.sqnr!)), colors: '#6d28d9', valueLabels: layers.map((l) => l.sqnr!.toFixed(0)) }],
    yTitle: 'SQNR (dB)',
  });
}

export function sweepChart(sweep: ReportSweep, metric: 'auc' | 'accuracy'): string {
  const name = metric === 'auc' ? 'ROC-AUC' : 'accuracy';
  const methods = [...new Set(sweep.points.filter((p) => p.result).map((p) => p.method))];
  return lineChart({
    title: `Model size against ${name} for each method`,
    xTitle: 'model size (KiB, log scale)',
    yTitle: `${name} on the labelled set`,
    xLog: true,
    yMin: 0,
    yMax: 1,
    series: [
      ...methods.map((m) => ({
        name: METHOD_LABELS[m] ?? m, color: METHOD_COLORS[m] ?? '#1d2330', marker: MARKERS[m] ?? 'circle', line: true,
        points: sweep.points.filter((p) => p.method === m && p.result).map((p) => ({
          x: p.result!.modelBytes / 1024, y: p.result![metric],
          note: `budget ${p.budget}: ${p.result!.avgBits.toFixed(2)} bits/weight, ${kib(p.result!.modelBytes)}, ${name} ${p.result![metric].toFixed(3)}`,
        })),
      })),
      { name: 'FP32', color: '#1d2330', marker: 'star' as const, line: false, points: [{ x: sweep.fp.bytes / 1024, y: sweep.fp[metric], note: `${kib(sweep.fp.bytes)}, ${name} ${sweep.fp[metric].toFixed(3)}` }] },
    ],
  });
}

function figure(label: string, value: string, id: string): string {
  return `<div><dt>${label}</dt><dd id="${id}">${value}</dd></div>`;
}

function headline(input: ReportInput): string {
  const r = input.quantization;
  const ev = r.evaluation;
  const items = [
    figure('Bits per weight', r.avgBits.toFixed(2), 'fig-bits'),
    figure('Weights', `${kib(r.modelBytes)} <span class="note">(${pct(r.modelBytes / r.fpBytes)} of FP32)</span>`, 'fig-weights'),
    ...(input.export ? [figure('Exported file', `${kib(input.export.file.bytes)} <span class="note">(${pct(input.export.file.bytes / input.export.fpBytes)} of the FP32 file)</span>`, 'fig-file')] : []),
    ...(ev ? [
      figure('AUC, FP32 → quantized', `${ev.fp.auc.toFixed(4)} → ${ev.quantized.auc.toFixed(4)}${ev.aucChange ? ` <span class="note">(${signedChange(ev.aucChange.difference, ev.aucChange.standardError)})</span>` : ''}`, 'fig-auc'),
      figure('Accuracy, FP32 → quantized', `${pct(ev.fp.accuracy)} → ${pct(ev.quantized.accuracy)}`, 'fig-accuracy'),
      figure('Same prediction', `${pct(ev.agreement)} <span class="note">of ${ev.fp.n} images</span>`, 'fig-agreement'),
    ] : []),
  ];
  const notes = [
    ...(input.notes ?? []).map((note) => `<p class="warn">${e(note)}</p>`),
    r.cancelled ? `<p class="warn">Cancelled: the report holds the stages that finished (${e(r.completed.join(', ') || 'none')}).</p>` : '',
    r.failed ? `<p class="warn">The run failed in its ${e(r.failed.stage)} stage: ${e(r.failed.message)}</p>` : '',
  ];
  return `${notes.join('')}<dl class="figures">${items.join('')}</dl>`;
}

function liveSection(live: ReportLive): string {
  const row = (name: string, m: ReportLive['fp']) => `<tr><th scope="row">${name}</th><td>${m.score.toFixed(3)}</td><td>${m.msPerFrame.toFixed(2)}</td></tr>`;
  const head = '<thead><tr><th scope="col">Model</th><th scope="col">Fake score (last frame)</th><th scope="col">ms / frame (rolling mean)</th></tr></thead>';
  return section('Live check', `<p>${live.frames} frames in ${e(live.runtime)}.</p>`, `<table id="live">${head}<tbody>${row('FP32', live.fp)}${row('Quantized', live.quantized)}</tbody></table>`);
}

function section(title: string, ...parts: string[]): string {
  return `<section><h2>${title}</h2>${parts.join('')}</section>`;
}

function modelName(input: ReportInput): string {
  return input.modelFiles[0]?.name ?? 'the model';
}

export function renderReportHtml(input: ReportInput): string {
  const r = input.quantization;
  const allocation = r.allocation ? `<p>Widths chosen by the ${e(r.allocation.solver)} solver on the ${e(r.allocation.error)} error model: ${e(r.allocation.detail)}.</p>` : '';
  const body = [
    `<header><h1>${e(input.title)}</h1><p class="note">${e(modelName(input))}, ${e(r.settings.method)} at ${r.avgBits.toFixed(2)} bits per weight; written ${e(input.created)} by ${e(input.writtenBy)}.</p></header>`,
    headline(input),
    section('Bits per layer', allocation, `<figure>${bitsChart(r)}</figure>`, sqnrChart(r) ? `<figure>${sqnrChart(r)}</figure>` : '', layersTable(r)),
    veftSection(r),
    section('Evaluation', evaluationTable(r)),
    input.sweep ? section('Size against accuracy', input.sweep.cancelled ? '<p class="note">The sweep was cancelled: the runs that finished.</p>' : '', `<figure>${sweepChart(input.sweep, 'accuracy')}</figure>`, `<figure>${sweepChart(input.sweep, 'auc')}</figure>`, sweepTable(input.sweep)) : '',
    input.export ? section('Exported file', `<p>Weights as ${e(FORMATS[input.export.weightFormat] ?? input.export.weightFormat)}, laid out for onnxruntime-web ${e(input.export.target)}; activations: ${e(input.export.activations)}.</p>`, verificationTable(input.export)) : '',
    input.live ? liveSection(input.live) : '',
    section('Settings', settingsTable(r), timingsTable(r)),
    section('Files and hashes', hashesTable(input.modelFiles, input.export)),
    section('Environment', environmentTable(input)),
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${e(input.title)}</title><style>${REPORT_CSS}</style></head><body><main>${body.join('\n')}</main></body></html>\n`;
}
