import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import type { LayerResult, QuantizeReport } from '../../quant/report.ts';
import { gateText } from '../../report/veft.ts';
import { useResults } from '../../store/results.ts';
import { barLabels, ChartView } from './chart.tsx';
import { bitColor } from './colors.ts';

/** The quant helper adds these counts to the report; older reports lack them. */
type LayerRow = LayerResult & { roundedUp?: number; roundedDown?: number };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const bitsText = (bits: number) => (bits >= 32 ? 'FP32' : `${bits}`);
/** Eq. 7's error with the learned rounding as a fraction of nearest rounding's (below 1: learning helped the layer). */
const lossRatio = (l: LayerRow) => (l.reconstructionLoss && l.reconstructionLoss.nearest > 0 ? (l.reconstructionLoss.learned / l.reconstructionLoss.nearest).toFixed(3) : null);
/** A quantized layer's weight range; null for a float layer or a report from before layers carried one. */
const rangeText = (l: LayerRow) => (l.bits >= 32 || !l.range ? null : l.range === 'mse' ? 'least squared error' : 'min/max');

function config(layers: LayerRow[], onPick: (name: string) => void): ChartConfiguration<'bar' | 'line'> {
  const top = Math.max(8, ...layers.map((l) => (l.bits >= 32 ? 8 : l.bits)));
  return {
    type: 'bar',
    data: {
      labels: layers.map((l) => l.name),
      datasets: [
        {
          type: 'bar', label: 'Bits', yAxisID: 'yBits', order: 3,
          data: layers.map((l) => (l.bits >= 32 ? top : l.bits)),
          backgroundColor: layers.map((l) => bitColor(l.bits)), hoverBackgroundColor: layers.map((l) => bitColor(l.bits)),
          borderColor: '#1d2330', borderWidth: 0.5, hoverBorderWidth: 2,
        },
        {
          type: 'line', label: 'Importance S_l (log scale)', yAxisID: 'yScore', order: 1,
          data: layers.map((l) => (l.score > 0 ? l.score : null)),
          borderColor: '#c2410c', backgroundColor: '#c2410c', pointStyle: 'rectRot', pointRadius: 5, borderWidth: 2,
        },
        {
          type: 'line', label: 'SQNR (dB)', yAxisID: 'ySqnr', order: 2,
          data: layers.map((l) => l.sqnr),
          borderColor: '#6d28d9', backgroundColor: '#6d28d9', pointStyle: 'circle', pointRadius: 4, borderWidth: 2, borderDash: [6, 3],
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      layout: { padding: { top: 18 } },
      onClick: (_event, elements) => {
        if (elements[0]) onPick(layers[elements[0].index].name);
      },
      plugins: {
        legend: { position: 'top', labels: { usePointStyle: true, filter: (item) => item.datasetIndex !== 0 } },
        tooltip: {
          callbacks: {
            title: (items) => layers[items[0].dataIndex].name,
            label: () => '',
            afterBody: (items) => {
              const l = layers[items[0].dataIndex];
              const lines = [
                `${l.op}, ${l.params.toLocaleString()} parameters`,
                `Bits: ${bitsText(l.bits)}`,
                ...(rangeText(l) ? [`Weight range: ${rangeText(l)}`] : []),
                `Importance S_l: ${l.score.toPrecision(3)}`,
                `SQNR: ${l.sqnr === null ? 'not measured' : `${l.sqnr.toFixed(1)} dB`}`,
                `Rounding: ${l.reconstructed ? 'learned (AdaRound)' : 'nearest'}`,
              ];
              if (l.roundedUp !== undefined && l.roundedDown !== undefined) lines.push(`Rounded up / down: ${l.roundedUp.toLocaleString()} / ${l.roundedDown.toLocaleString()}`);
              if (l.reconstructionLoss) lines.push(`Layer error ‖Wx − W̃x‖²: ${l.reconstructionLoss.learned.toExponential(2)} learned, ${l.reconstructionLoss.nearest.toExponential(2)} nearest`);
              if (l.restoredChannels) lines.push(`Input channels kept in float (VEFT): ${l.restoredChannels}`);
              if (l.roundingCheck) lines.push(`Block's logit change: ${l.roundingCheck.learned.toExponential(2)} learned, ${l.roundingCheck.nearest.toExponential(2)} nearest`);
              lines.push('Click for its weight histogram');
              return lines;
            },
          },
        },
      },
      scales: {
        x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 35, font: { size: 10 } } },
        yBits: { type: 'linear', position: 'left', min: 0, max: top + 1, title: { display: true, text: 'bits per weight' }, ticks: { stepSize: 1 } },
        yScore: { type: 'logarithmic', position: 'right', title: { display: true, text: 'importance S_l' }, grid: { drawOnChartArea: false } },
        ySqnr: { type: 'linear', position: 'right', title: { display: true, text: 'SQNR (dB)' }, grid: { drawOnChartArea: false } },
      },
    },
    plugins: [barLabels(0, (i) => bitsText(layers[i].bits)) as never],
  };
}

const ERROR_MODELS: Record<string, string> = {
  paper: '2^-b weighted by importance (the paper)',
  noise: '4^-b weighted by importance',
  measured: "each layer's measured output error",
  logits: "each layer's measured change of the logits",
};

export function BitsView({ report }: { report: QuantizeReport }) {
  const { inspectLayer, show } = useResults();
  const layers = report.layers as LayerRow[];
  const chart = useMemo(() => config(layers, (name) => {
    show('layer');
    void inspectLayer(name);
  }), [layers, inspectLayer, show]);
  const widths = [...new Set(layers.map((l) => l.bits))].sort((a, b) => a - b);
  return (
    <div data-testid="results-bits">
      <p className="results-lead">
        Bits chosen for each layer, in model order: {report.avgBits.toFixed(2)} bits per weight on average,
        {' '}{(report.modelBytes / 1024).toFixed(1)} KiB ({((100 * report.modelBytes) / report.fpBytes).toFixed(1)}% of FP32).
        {' '}Each bar is labelled with its width; hover for details, click for the layer's weights.
      </p>
      {report.veft && (
        <p className="results-lead" data-testid="veft-detail">
          VEFT kept {plural(report.veft.restoredChannels, 'input channel')} in float across the blocks' layers (ρ = {report.veft.fraction}), counted in the budget;
          {' '}{report.veft.blocks.filter((b) => b.kept === 'tuned').length} of {report.veft.blocks.length} blocks kept their tuned rounding.
        </p>
      )}
      {report.veftGate && <p className="results-lead" data-testid="veft-gate">{gateText(report.veftGate)}</p>}
      {report.allocation && (
        <p className="results-lead" data-testid="allocation-detail">
          Widths chosen by the {report.allocation.solver} solver on {ERROR_MODELS[report.allocation.error] ?? report.allocation.error}: {report.allocation.detail}.
        </p>
      )}
      <ul className="results-swatches" aria-label="Bar colours by bit width">
        {widths.map((b) => (
          <li key={b}><span className="swatch" style={{ background: bitColor(b) }} aria-hidden="true" />{bitsText(b)}{b < 32 ? ' bits' : ''}: {plural(layers.filter((l) => l.bits === b).length, 'layer')}</li>
        ))}
      </ul>
      <ChartView config={chart} height={380} label={`Bits per layer for ${layers.length} layers, with importance and SQNR`} testId="bits-chart" />
      <details className="results-table">
        <summary>The same as a table</summary>
        <table className="results-data">
          <thead><tr><th scope="col">Layer</th><th scope="col">Op</th><th scope="col">Bits</th><th scope="col">Weight range</th><th scope="col">Importance S_l</th><th scope="col">SQNR (dB)</th><th scope="col">Rounding</th><th scope="col">Layer error, learned / nearest</th>{report.veft && <th scope="col">Input channels in float (VEFT)</th>}</tr></thead>
          <tbody>
            {layers.map((l) => (
              <tr key={l.name}>
                <td>{l.name}</td><td>{l.op}</td><td>{bitsText(l.bits)}</td><td>{rangeText(l) ?? '–'}</td><td>{l.score.toPrecision(3)}</td>
                <td>{l.sqnr === null ? '–' : l.sqnr.toFixed(1)}</td><td>{l.reconstructed ? 'learned' : l.roundingCheck ? 'nearest (kept by the check)' : 'nearest'}</td>
                <td>{lossRatio(l) ?? '–'}</td>
                {report.veft && <td>{l.restoredChannels ?? 0}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
