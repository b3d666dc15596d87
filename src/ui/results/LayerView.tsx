import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo } from 'react';
import type { QuantizeReport } from '../../quant/report.ts';
import { useResults } from '../../store/results.ts';
import type { LayerDetailStatus } from '../../worker/analysis-api.ts';
import { ChartView } from './chart.tsx';

type Detail = Extract<LayerDetailStatus, { ok: true }>;

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;

function histogramConfig(d: Detail): ChartConfiguration<'bar' | 'line'> {
  const { lo, width, counts } = d.histogram;
  const peak = Math.max(1, ...counts);
  // Grid lines as one line dataset broken by gaps: (x, 0) → (x, top), then a gap.
  const grid = d.grid.flatMap((x) => [{ x, y: 0 }, { x, y: peak * 1.08 }, { x, y: null as number | null }]);
  const axis = d.channel === null ? 'weight in level units: w / scale + zero point (all channels)' : `weight value, channel ${d.channel}`;
  return {
    type: 'bar',
    data: {
      datasets: [
        {
          type: 'bar', label: 'Weights', data: counts.map((y, i) => ({ x: lo + (i + 0.5) * width, y })),
          backgroundColor: '#3b6fd6', barPercentage: 1, categoryPercentage: 1, grouped: false, order: 2,
        },
        {
          type: 'line', label: `Quantization grid (${d.gridLevels} levels)`, data: grid as { x: number; y: number }[],
          borderColor: 'rgba(196, 30, 58, 0.75)', borderWidth: 1, borderDash: [3, 2], pointRadius: 0, spanGaps: false, order: 1,
        },
      ],
    },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      plugins: {
        legend: { position: 'top' },
        tooltip: {
          filter: (item) => item.datasetIndex === 0,
          callbacks: {
            title: (items) => {
              const i = items[0].dataIndex;
              return `${(lo + i * width).toPrecision(4)} … ${(lo + (i + 1) * width).toPrecision(4)}`;
            },
            label: (item) => `${(item.raw as { y: number }).y} weights`,
          },
        },
      },
      scales: {
        x: { type: 'linear', min: lo, max: lo + width * counts.length, title: { display: true, text: axis } },
        y: { type: 'linear', min: 0, max: Math.ceil(peak * 1.1), title: { display: true, text: 'weights per bin' } },
      },
    },
  };
}

function roundingConfig(d: Detail): ChartConfiguration<'bar'> {
  const c = d.counts;
  return {
    type: 'bar',
    data: {
      labels: ['rounded up', 'rounded down'],
      datasets: [
        { label: 'Nearest rounding', data: [c.nearestUp, c.nearestDown], backgroundColor: '#9aa3b5' },
        { label: d.learned ? 'Learned rounding (AdaRound)' : 'This layer (nearest rounding)', data: [c.up, c.down], backgroundColor: '#3b6fd6' },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { position: 'top' }, tooltip: { callbacks: { label: (i) => `${i.dataset.label}: ${(i.raw as number).toLocaleString()} (${pct(i.raw as number, c.total)})` } } },
      scales: { x: { min: 0, title: { display: true, text: 'weights' } } },
    },
  };
}

/** Which range the scales came from; reports saved before layers carried one say nothing. */
function rangeText(report: QuantizeReport, name: string): string {
  const range = report.layers.find((l) => l.name === name)?.range;
  return range === 'mse' ? ', from the range with the least squared error' : range === 'minmax' ? ', from the channel\'s min/max' : '';
}

export function LayerView({ report }: { report: QuantizeReport }) {
  const { layer, inspectLayer } = useResults();
  const quantized = report.layers.filter((l) => l.bits < 32);
  const name = layer.name ?? quantized.find((l) => l.reconstructed)?.name ?? quantized[0]?.name ?? null;
  useEffect(() => {
    if (name && layer.name === null) void inspectLayer(name);
  }, [name, layer.name, inspectLayer]);
  // Another layer's detail stays hidden while this one loads; a channel change keeps the layer's.
  const d = layer.status?.ok && layer.status.name === name ? layer.status : null;
  const checked = d ? report.layers.find((l) => l.name === d.name)?.roundingCheck : undefined;
  const hist = useMemo(() => d && histogramConfig(d), [d]);
  const rounding = useMemo(() => d && roundingConfig(d), [d]);
  if (!name) return <p className="hint">No layer was quantized in the last run.</p>;
  const c = d?.counts;
  return (
    <div data-testid="results-layer">
      <div className="results-controls">
        <label htmlFor="r-layer">Layer</label>
        <select id="r-layer" value={name} onChange={(e) => void inspectLayer(e.target.value, null)}>
          {quantized.map((l) => <option key={l.name} value={l.name}>{l.name} ({l.bits} bits{l.reconstructed ? ', learned' : ''})</option>)}
        </select>
        <label htmlFor="r-channel">Channel</label>
        <select id="r-channel" value={layer.channel ?? 'all'} onChange={(e) => void inspectLayer(name, e.target.value === 'all' ? null : Number(e.target.value))}>
          <option value="all">all, in level units</option>
          {d && Array.from({ length: d.channels }, (_, i) => <option key={i} value={i}>channel {i}, raw values</option>)}
        </select>
        {layer.loading && <span className="hint" role="status">Reading the weights…</span>}
      </div>
      {layer.status && !layer.status.ok && <p className="error" role="alert">{layer.status.message}</p>}
      {d && hist && rounding && c && (
        <>
          <p className="results-lead" data-testid="layer-lead">
            {d.name}: {d.bits}-bit weights, {c.total.toLocaleString()} values in {d.channels} channels, each with its own scale and zero point{rangeText(report, d.name)}.
            {d.channel === null ? ' Dividing by the scale puts every channel on the same integer grid.' : ''}
            {d.grid.length === 0 ? ` The ${d.gridLevels} grid levels are too dense to draw.` : ''}
          </p>
          <ChartView config={hist} height={300} label={`Histogram of ${d.name}'s weights with its quantization grid`} testId="layer-histogram" />
          <h3>Rounding direction</h3>
          <p className="results-lead" data-testid="rounding-summary">
            {d.learned
              ? <>Learned rounding sent <strong>{c.aboveNearest.toLocaleString()}</strong> weights ({pct(c.aboveNearest, c.total)}) one level above nearest rounding
                  and <strong>{c.belowNearest.toLocaleString()}</strong> ({pct(c.belowNearest, c.total)}) below; the other {(c.total - c.aboveNearest - c.belowNearest).toLocaleString()} kept the nearest level.</>
              : checked
                ? <>This layer keeps nearest rounding: the logits moved {checked.learned.toExponential(2)} with its block's learned rounding and {checked.nearest.toExponential(2)} with nearest, so the rounding check kept nearest.</>
                : <>This layer keeps nearest rounding (RTN, or a layer the reconstruction does not cover).</>}
            {' '}Overall {c.up.toLocaleString()} weights were rounded up and {c.down.toLocaleString()} down{c.exact ? `, ${c.exact} were already on the grid` : ''}.
          </p>
          <ChartView config={rounding} height={150} label="Weights rounded up and down, nearest vs learned rounding" testId="rounding-chart" />
        </>
      )}
    </div>
  );
}
