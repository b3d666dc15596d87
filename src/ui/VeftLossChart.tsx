import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import type { QuantizeReport, VeftLossPoint } from '../quant/report.ts';
import { useQuantize } from '../store/quantize.ts';
import { ChartView } from './results/chart.tsx';
import { lossSteps, lossTotal, termLabel, VEFT_SUM, VEFT_TERMS } from '../report/veft.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const NONE: readonly VeftLossPoint[] = [];

function curveConfig(points: readonly VeftLossPoint[]): ChartConfiguration<'line'> {
  const x = lossSteps(points);
  const names = [...new Set(points.flatMap((p) => Object.keys(p.terms)))];
  const line = (label: string, colour: string, value: (p: VeftLossPoint) => number, dash: number[] = []) => ({
    label, borderColor: colour, backgroundColor: colour, borderDash: dash, pointRadius: 2, borderWidth: 2,
    data: points.map((p, i) => ({ x: x[i], y: value(p) > 0 ? value(p) : null })),
  });
  const datasets = names.map((name) => line(termLabel(name), VEFT_TERMS[name]?.colour ?? '#6d28d9', (p) => p.terms[name] ?? 0));
  if (names.length > 1) datasets.push(line(VEFT_SUM.label, VEFT_SUM.colour, lossTotal, [6, 3]));
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: { position: 'top', labels: { boxWidth: 14 } },
        tooltip: { callbacks: { title: (items) => `${points[items[0].dataIndex].block}, step ${points[items[0].dataIndex].iteration + 1}` } },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'tuning step, block after block' } },
        y: { type: 'logarithmic', title: { display: true, text: 'minibatch loss' } },
      },
    },
  };
}

/**
 * VEFT's loss during the tuning (eq. 10's terms per recorded step): streamed while the stage runs,
 * then the report's curve. L_hor is constant while the rounding is tuned, so it is not drawn.
 */
export function VeftLossChart({ report }: { report: QuantizeReport | null }) {
  const running = useQuantize((s) => s.running);
  const streamed = useQuantize((s) => s.lossCurve);
  const points = running ? streamed : (report?.veft?.lossCurve ?? NONE);
  const config = useMemo(() => curveConfig(points), [points]);
  if (points.length === 0) return null;
  const blocks = new Set(points.map((p) => p.block)).size;
  return (
    <figure className="veft-curve" data-testid="veft-curve" data-points={points.length} data-live={running}>
      <figcaption className="hint">
        VEFT loss, {plural(points.length, 'recorded step')} over {plural(blocks, 'block')}{running ? ', live' : ''}.
        {report?.veft?.horizontal != null && !running && ` L_hor, constant while tuning: ${report.veft.horizontal.toPrecision(3)}.`}
      </figcaption>
      <ChartView config={config} height={220} label={`VEFT loss terms over ${points.length} recorded tuning steps of ${blocks} blocks`} testId="veft-chart" />
    </figure>
  );
}
