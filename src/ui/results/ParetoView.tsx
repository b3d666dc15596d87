import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'react';
import type { Method } from '../../quant/settings.ts';
import { useData } from '../../store/data.ts';
import { useQuantize } from '../../store/quantize.ts';
import { SWEEP_METHODS, useResults } from '../../store/results.ts';
import type { SweepStatus } from '../../worker/analysis-api.ts';
import { ChartView } from './chart.tsx';
import { METHOD_COLORS, METHOD_LABELS, METHOD_POINTS } from './colors.ts';
import { ComparisonTable } from './ComparisonTable.tsx';

type Sweep = Extract<SweepStatus, { ok: true }>;
type Metric = 'accuracy' | 'auc';
const METRIC_LABELS: Record<Metric, string> = { accuracy: 'accuracy', auc: 'ROC-AUC' };
const kib = (bytes: number) => bytes / 1024;
interface SweepDot { x: number; y: number; budget: number; bits: number; agreement: number }
const dots = (list: SweepDot[]) => list;

function paretoConfig(sweep: Sweep, metric: Metric): ChartConfiguration<'scatter'> {
  const methods = SWEEP_METHODS.filter((m) => sweep.points.some((p) => p.method === m && p.result));
  return {
    type: 'scatter',
    data: {
      datasets: [
        ...methods.map((m) => {
          const points = sweep.points.filter((p) => p.method === m && p.result).sort((a, b) => a.result!.modelBytes - b.result!.modelBytes);
          return {
            label: METHOD_LABELS[m], showLine: true, borderColor: METHOD_COLORS[m], backgroundColor: METHOD_COLORS[m], pointStyle: METHOD_POINTS[m],
            pointRadius: 6, borderWidth: 2,
            data: dots(points.map((p) => ({ x: kib(p.result!.modelBytes), y: p.result![metric], budget: p.budget, bits: p.result!.avgBits, agreement: p.result!.agreement }))),
          };
        }),
        {
          label: 'FP32', pointStyle: 'star', pointRadius: 10, borderWidth: 2, borderColor: '#1d2330', backgroundColor: '#1d2330',
          data: dots([{ x: kib(sweep.fp.bytes), y: sweep.fp[metric], budget: 32, bits: 32, agreement: 1 }]),
        },
      ],
    },
    options: {
      plugins: {
        legend: { position: 'top', labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: (items) => items[0].dataset.label ?? '',
            label: (item) => {
              const p = item.raw as SweepDot;
              return p.bits >= 32
                ? `${p.x.toFixed(1)} KiB, ${METRIC_LABELS[metric]} ${p.y.toFixed(3)}`
                : `budget ${p.budget}: ${p.bits.toFixed(2)} bits/weight, ${p.x.toFixed(1)} KiB, ${METRIC_LABELS[metric]} ${p.y.toFixed(3)}, agreement ${(100 * p.agreement).toFixed(0)}%`;
            },
          },
        },
      },
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: 'model size (KiB, log scale)' } },
        y: { min: 0, max: 1, title: { display: true, text: `${METRIC_LABELS[metric]} on the labelled set` } },
      },
    },
  };
}

function parseBudgets(text: string): number[] | null {
  const values = text.split(/[\s,]+/).filter(Boolean).map(Number);
  return values.length > 0 && values.every((v) => Number.isFinite(v) && v > 0 && v <= 16) ? [...new Set(values)].sort((a, b) => a - b) : null;
}

export function ParetoView({ currentBudget }: { currentBudget: number }) {
  const { sweep, configureSweep, runSweep, cancelSweep } = useResults();
  const labelled = useData((s) => s.evaluation.status?.ok === true);
  const [budgetText, setBudgetText] = useState(sweep.budgets.join(', '));
  const [metric, setMetric] = useState<Metric>('accuracy');
  const budgets = parseBudgets(budgetText);
  const status = sweep.status;
  const ok = status?.ok ? status : null;
  const chart = useMemo(() => ok && paretoConfig(ok, metric), [ok, metric]);
  const toggle = (m: Method, on: boolean) => configureSweep({ methods: SWEEP_METHODS.filter((x) => (x === m ? on : sweep.methods.includes(x))) });
  const runs = sweep.methods.length * (budgets?.length ?? 0);
  const p = sweep.progress;
  const quantizing = useQuantize((s) => s.running);
  const canRun = !sweep.running && !quantizing && labelled && runs > 0 && budgets !== null;
  return (
    <div data-testid="results-pareto">
      <p className="results-lead">
        Quantize the model at several budgets with each method, and see what each byte buys. A budget of b bits is the size of the uniform
        b-bit model, scales and zero points included, so every method at it stores the same bytes. Every run uses the images of step 2 and the
        quantize settings, with its own number of rounding iterations (few, so the sweep finishes on a CPU adapter).
      </p>
      <div className="results-controls">
        <fieldset className="results-methods">
          <legend>Methods</legend>
          {SWEEP_METHODS.map((m) => (
            <label key={m}><input type="checkbox" checked={sweep.methods.includes(m)} onChange={(e) => toggle(m, e.target.checked)} /> {METHOD_LABELS[m]}</label>
          ))}
        </fieldset>
        <label htmlFor="r-budgets">Budgets (bits per weight)</label>
        <input id="r-budgets" value={budgetText} aria-invalid={budgets === null} onChange={(e) => {
          setBudgetText(e.target.value);
          const parsed = parseBudgets(e.target.value);
          if (parsed) configureSweep({ budgets: parsed });
        }} />
        <label htmlFor="r-iters">Iterations per layer</label>
        <input id="r-iters" type="number" min={1} value={sweep.iters} onChange={(e) => configureSweep({ iters: Math.max(1, Number(e.target.value) || 1) })} />
      </div>
      {budgets === null && <p className="error" role="alert">Budgets must be numbers between 0 and 16, separated by commas.</p>}
      <p>
        <button type="button" disabled={!canRun} onClick={() => void runSweep()}>Run the sweep ({runs} runs)</button>{' '}
        <button type="button" disabled={!sweep.running} onClick={cancelSweep}>Stop the sweep</button>
        {!labelled && <span className="hint"> Needs a labelled evaluation set (step 2: real/ and fake/) to measure accuracy.</span>}
      </p>
      {sweep.running && (
        <div className="results-progress" role="status">
          <progress max={p?.total ?? 1} value={p?.done ?? 0} aria-label="sweep progress" />
          <span className="hint">
            {p ? `${p.done}/${p.total} runs done; now ${METHOD_LABELS[p.method]} at ${p.budget} bits: ${p.stage} ${p.step}/${p.stageTotal}` : 'Decoding the images…'}
          </span>
        </div>
      )}
      {status && !status.ok && <p className="error" role="alert" data-testid="sweep-error">{status.message}</p>}
      {ok && chart && (
        <>
          {ok.cancelled && <p className="hint" role="status">Cancelled: showing the {ok.points.length} run{ok.points.length === 1 ? '' : 's'} that finished.</p>}
          <div className="results-controls">
            <label htmlFor="r-metric">Quality</label>
            <select id="r-metric" value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
              <option value="accuracy">accuracy</option>
              <option value="auc">ROC-AUC</option>
            </select>
            <span className="hint">on {ok.fp.images} labelled images; up and to the left is better.</span>
          </div>
          <ChartView config={chart} height={340} label={`Model size against ${METRIC_LABELS[metric]} for each method`} testId="pareto-chart" />
          {ok.points.some((x) => !x.result) && (
            <ul className="hint">
              {ok.points.filter((x) => !x.result).map((x) => <li key={`${x.method}-${x.budget}`}>{METHOD_LABELS[x.method]} at {x.budget} bits: {x.message}</li>)}
            </ul>
          )}
          <ComparisonTable sweep={ok} budget={currentBudget} />
        </>
      )}
    </div>
  );
}
