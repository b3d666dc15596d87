import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import { compareLayers, compareMetrics, runTitle, settingsDifferences, type LayerBits, type MetricPair } from '../../report/compare.ts';
import { bitsText, pct } from '../../report/format.ts';
import type { SavedRun } from '../../store/persist.ts';
import { ChartView } from '../results/chart.tsx';
import '../results/results.css';
import { COMPARE_SECTIONS } from './compare-sections.ts';

const COLORS = ['#0072b2', '#d55e00'] as const;

function metricText(m: MetricPair, v: number | null): string {
  if (v === null) return '–';
  if (m.key === 'modelBytes') return `${(v / 1024).toFixed(1)} KiB`;
  if (m.key === 'avgBits') return v.toFixed(2);
  if (m.key === 'auc') return v.toFixed(4);
  return pct(v);
}

function changeText(m: MetricPair): string {
  if (m.a === null || m.b === null) return '–';
  const d = m.b - m.a;
  const better = d === 0 ? '' : (d < 0) === (m.better === 'lower') ? ' (better)' : ' (worse)';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  if (m.key === 'modelBytes') return `${sign}${(Math.abs(d) / 1024).toFixed(1)} KiB${better}`;
  if (m.key === 'avgBits' || m.key === 'auc') return `${sign}${Math.abs(d).toFixed(m.key === 'auc' ? 4 : 2)}${better}`;
  return `${sign}${(100 * Math.abs(d)).toFixed(1)} points${better}`;
}

function bitsConfig(layers: LayerBits[], names: [string, string]): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: layers.map((l) => l.name),
      datasets: (['a', 'b'] as const).map((k, i) => ({ label: names[i]!, data: layers.map((l) => l[k]), backgroundColor: COLORS[i], borderColor: '#1d2330', borderWidth: 0.5 })),
    },
    options: {
      plugins: { legend: { position: 'top' } },
      scales: {
        x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 35, font: { size: 10 } } },
        y: { min: 0, max: 9, ticks: { stepSize: 1 }, title: { display: true, text: 'bits per weight' } },
      },
    },
  };
}

/** Two kept runs side by side: figures, the settings that differ, and bits per layer. */
export function RunCompare({ a, b, labels }: { a: SavedRun; b: SavedRun; labels: [string, string] }) {
  const metrics = compareMetrics(a.report, b.report);
  const settings = settingsDifferences(a.report, b.report);
  const layers = useMemo(() => compareLayers(a.report, b.report), [a, b]);
  const chart = useMemo(() => bitsConfig(layers, [`${labels[0]}: ${runTitle(a.report)}`, `${labels[1]}: ${runTitle(b.report)}`]), [layers, labels, a, b]);
  const changed = layers.filter((l) => l.a !== l.b).length;
  return (
    <div className="results run-compare" data-testid="run-compare">
      <h3>{labels[0]} against {labels[1]}</h3>
      <table className="results-data" data-testid="compare-metrics">
        <thead><tr><th scope="col" /><th scope="col">{labels[0]}</th><th scope="col">{labels[1]}</th><th scope="col">{labels[1]} − {labels[0]}</th></tr></thead>
        <tbody>
          {metrics.map((m) => (
            <tr key={m.key}><th scope="row">{m.label}</th><td>{metricText(m, m.a)}</td><td>{metricText(m, m.b)}</td><td>{changeText(m)}</td></tr>
          ))}
        </tbody>
      </table>
      <h4>Settings that differ</h4>
      {settings.length === 0 ? <p className="hint">None: the runs share every setting.</p> : (
        <table className="results-data" data-testid="compare-settings">
          <thead><tr><th scope="col">Setting</th><th scope="col">{labels[0]}</th><th scope="col">{labels[1]}</th></tr></thead>
          <tbody>{settings.map((s) => <tr key={s.key}><th scope="row">{s.key}</th><td>{s.a}</td><td>{s.b}</td></tr>)}</tbody>
        </table>
      )}
      <h4>Bits per layer</h4>
      <p className="hint" data-testid="compare-bits-summary">{changed} of {layers.length} layers have another width.</p>
      <ChartView config={chart} height={320} label={`Bits per layer of ${labels[0]} and ${labels[1]} for ${layers.length} layers`} testId="compare-bits-chart" />
      <details className="results-table">
        <summary>The same as a table</summary>
        <table className="results-data" data-testid="compare-bits">
          <thead><tr><th scope="col">Layer</th><th scope="col">Parameters</th><th scope="col">{labels[0]}</th><th scope="col">{labels[1]}</th></tr></thead>
          <tbody>
            {layers.map((l) => (
              <tr key={l.name} className={l.a !== l.b ? 'differs' : undefined}>
                <th scope="row">{l.name}</th><td>{l.params.toLocaleString()}</td><td>{l.a === null ? '–' : bitsText(l.a)}</td><td>{l.b === null ? '–' : bitsText(l.b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {COMPARE_SECTIONS.map((s) => (
        <section key={s.id} aria-label={s.title}><h4>{s.title}</h4>{s.render(a, b)}</section>
      ))}
    </div>
  );
}
