import { SWEEP_METHODS } from '../../store/results.ts';
import type { SweepStatus } from '../../worker/analysis-api.ts';
import { AucChange } from '../AucChange.tsx';
import { METHOD_LABELS } from './colors.ts';

type Sweep = Extract<SweepStatus, { ok: true }>;

/** The sweep's budget closest to the current one (the one the quantize settings ask for). */
export function nearestBudget(sweep: Sweep, budget: number): number | null {
  const budgets = [...new Set(sweep.points.filter((p) => p.result).map((p) => p.budget))];
  return budgets.length ? budgets.reduce((a, b) => (Math.abs(b - budget) < Math.abs(a - budget) ? b : a)) : null;
}

export function ComparisonTable({ sweep, budget }: { sweep: Sweep; budget: number }) {
  const at = nearestBudget(sweep, budget);
  if (at === null) return null;
  const rows = SWEEP_METHODS.map((m) => ({ m, point: sweep.points.find((p) => p.method === m && p.budget === at) }));
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return (
    <>
      <h3>Comparison at the size of the uniform {at}-bit model{at !== budget ? ` (the swept budget nearest to the current ${budget})` : ''}</h3>
      <table className="results-data" data-testid="comparison-table">
        <thead>
          <tr>
            <th scope="col">Model</th><th scope="col">Bits / weight</th><th scope="col">Size</th><th scope="col">of FP32</th>
            <th scope="col">Accuracy</th><th scope="col">ROC-AUC</th><th scope="col">AUC vs uniform AdaRound</th><th scope="col">Agreement with FP</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">FP32</th><td>32</td><td>{(sweep.fp.bytes / 1024).toFixed(1)} KiB</td><td>100%</td>
            <td>{pct(sweep.fp.accuracy)}</td><td>{sweep.fp.auc.toFixed(3)}</td><td>–</td><td>–</td>
          </tr>
          {rows.map(({ m, point }) => (
            <tr key={m}>
              <th scope="row">{METHOD_LABELS[m]}</th>
              {point?.result ? (
                <>
                  <td>{point.result.avgBits.toFixed(2)}</td><td>{(point.result.modelBytes / 1024).toFixed(1)} KiB</td>
                  <td>{pct(point.result.modelBytes / sweep.fp.bytes)}</td><td>{pct(point.result.accuracy)}</td>
                  <td>{point.result.auc.toFixed(3)}{point.result.aucChange && <AucChange change={point.result.aucChange} />}</td>
                  <td>{point.result.versusAdaRound ? <AucChange change={point.result.versusAdaRound} against="uniform AdaRound" testId="versus-adaround" /> : '–'}</td>
                  <td>{pct(point.result.agreement)}</td>
                </>
              ) : (
                <td colSpan={7} className="hint">{point?.message ?? 'not in this sweep'}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
