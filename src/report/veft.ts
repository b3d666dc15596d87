/**
 * VEFT in the report (paper section 4.2, docs/veft.md): the channels kept in float, each tuned
 * block's output error before and after, and the loss curve. The studio's live chart
 * (ui/VeftLossChart.tsx) names and places the terms the same way.
 */
import type { QuantizeReport, VeftGateReport, VeftLossPoint, VeftReport } from '../quant/report.ts';
import { benefitPhrase } from '../quant/veft/gate.ts';
import { escapeHtml } from './format.ts';
import { lineChart, type LineSeries } from './svg.ts';
import { table } from './tables.ts';

/** How the report names each weighted term of eq. 10, and the colour it is drawn in. */
export const VEFT_TERMS: Record<string, { label: string; short: string; colour: string }> = {
  reconstruction: { label: 'L_rec (block output error)', short: 'L_rec', colour: '#1e3a8a' },
  contrastive: { label: 'γ2·L_ver (contrastive)', short: 'γ2·L_ver', colour: '#d55e00' },
};
export const VEFT_SUM = { label: 'L_rec + γ2·L_ver (the tuned part of L)', colour: '#3a4256' };

/** The label of a loss term (its own name when the report does not know it). */
export const termLabel = (name: string) => VEFT_TERMS[name]?.label ?? name;

/** Each point's place on one axis of tuning steps: the blocks one after the other. */
export function lossSteps(points: readonly VeftLossPoint[]): number[] {
  const offsets = new Map<string, number>();
  let next = 0;
  return points.map((p) => {
    if (!offsets.has(p.block)) offsets.set(p.block, next);
    const x = offsets.get(p.block)! + p.iteration;
    next = Math.max(next, x + 1);
    return x;
  });
}

/** One recorded step as a line of text (the CLI's progress): `blocks.0 step 12: L_rec 0.512, γ2·L_ver 0.0311`. */
export function lossText(p: VeftLossPoint): string {
  const terms = Object.entries(p.terms).map(([name, v]) => `${VEFT_TERMS[name]?.short ?? name} ${v.toPrecision(3)}`);
  return `${p.block} step ${p.iteration + 1}: ${terms.join(', ')}`;
}

/** The sum of a point's terms. */
export const lossTotal = (p: VeftLossPoint) => Object.values(p.terms).reduce((s, v) => s + v, 0);

function lossChart(points: readonly VeftLossPoint[]): string {
  const x = lossSteps(points);
  const names = [...new Set(points.flatMap((p) => Object.keys(p.terms)))];
  const series = (name: string, colour: string, value: (p: VeftLossPoint) => number): LineSeries => ({
    name, color: colour, marker: 'circle', line: true,
    points: points.map((p, i) => ({ x: x[i]!, y: value(p), note: `${p.block}, step ${p.iteration + 1}: ${value(p).toPrecision(4)}` })),
  });
  const lines = names.map((name) => series(termLabel(name), VEFT_TERMS[name]?.colour ?? '#6d28d9', (p) => p.terms[name] ?? 0));
  if (names.length > 1) lines.push(series(VEFT_SUM.label, VEFT_SUM.colour, lossTotal));
  return lineChart({ title: `VEFT loss over ${points.length} recorded tuning steps`, series: lines, xTitle: 'tuning step, block after block', yTitle: 'minibatch loss', yMin: 0 });
}

function summary(veft: VeftReport): string {
  const tensors = veft.tensors.filter((t) => t.channels.length > 0).length;
  const horizontal = veft.horizontal === null ? '' : ` L_hor (the allocation's objective) is constant while the rounding is tuned: ${veft.horizontal.toPrecision(3)}.`;
  return `<p>During tuning a random ${(veft.fraction * 100).toFixed(1)} % of each block activation's channels ran in float at each step; `
    + `the exported file keeps <strong id="veft-restored">${veft.restoredChannels}</strong> input channels in float, read from ${tensors} activation tensor${tensors === 1 ? '' : 's'}.${escapeHtml(horizontal)}</p>`;
}

/** What the allocation's measurement of VEFT's activations decided (docs/veft.md, "Which activations"), in one sentence. */
export function gateText(gate: VeftGateReport): string {
  const kept = gate.candidates[gate.kept];
  const helped = benefitPhrase(gate.benefit, gate.activations);
  const others = gate.candidates.filter((c, i) => i !== gate.kept && (kept.restoring.length > 0 || c.restoring.length > 0));
  const next = others.length ? others.reduce((a, b) => (b.logitError < a.logitError ? b : a)) : null;
  const against = next ? `, against ${next.logitError.toExponential(2)} with ${next.label}` : '';
  return kept.restoring.length > 0
    ? `VEFT's float channels were measured per block activation: ${helped}, and ${kept.restoring.length} of them keep channels in float (the logits move ${kept.logitError.toExponential(2)} on the error images${against}).`
    : `VEFT kept no channels in float: ${helped}, but no set of them moved the logits less than the widths their bytes would displace (${kept.logitError.toExponential(2)} with ${kept.label}${against}).`;
}

/** The report's VEFT section, or '' for a run without VEFT. */
export function veftSection(report: QuantizeReport): string {
  const veft = report.veft;
  const gate = report.veftGate ? `<p data-testid="veft-gate">${escapeHtml(gateText(report.veftGate))}</p>` : '';
  if (!veft) return gate && `<section><h2>VEFT: channels in float</h2>${gate}</section>`;
  const rows = veft.blocks.map((b) => [escapeHtml(b.block), b.before.toPrecision(4), b.after.toPrecision(4), b.kept === 'tuned' ? 'tuned' : 'reconstructed (tuning did not lower the error)']);
  const blocks = rows.length ? table('veft-blocks', ['Block', 'Output error before tuning', 'After', 'Rounding kept'], rows) : '';
  const curve = veft.lossCurve.length ? `<figure>${lossChart(veft.lossCurve)}</figure>` : '';
  return `<section><h2>VEFT: channels in float, tuned blocks</h2>${gate}${summary(veft)}${blocks}${curve}</section>`;
}
