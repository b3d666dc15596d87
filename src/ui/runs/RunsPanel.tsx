import { headlineOf, runTitle, settingsSummary } from '../../report/compare.ts';
import { bytesText, pct } from '../../report/format.ts';
import { useModel } from '../../store/model.ts';
import { STUDIO_SETTINGS, useQuantize } from '../../store/quantize.ts';
import { useReport } from '../../store/report.ts';
import { MAX_RUNS, useRuns } from '../../store/runs.ts';
import { RunCompare } from './RunCompare.tsx';
import './runs.css';

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
const fixed = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));

/** The project's kept runs: listed with their settings and figures, two of them compared. */
export function RunsPanel() {
  const opened = useModel((s) => s.opened);
  const running = useQuantize((s) => s.running);
  const { runs, current, picked, notice, error, pick, open, remove } = useRuns();
  const { writing, failed, downloadHtml } = useReport();
  const reportError = failed && failed.key !== 'current' ? failed.message : null;
  if (!opened || runs.length === 0) return null;
  const label = (id: string | null) => (id ? `Run ${runs.findIndex((r) => r.id === id) + 1}` : '');
  const [a, b] = picked.map((id) => runs.find((r) => r.id === id) ?? null);
  return (
    <section className="panel runs" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <p className="hint">
        Every finished run of this project is kept in this browser (the last {MAX_RUNS}). Pick two to compare them; open one to make it the
        current result (its views, export and live check); write any one’s report as a single HTML page.
      </p>
      <div className="table-scroll">
        <table className="layers runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th scope="col">A</th><th scope="col">B</th><th scope="col">Run</th><th scope="col">Finished</th><th scope="col">Bits / weight</th>
              <th scope="col">Weights</th><th scope="col">AUC</th><th scope="col">Accuracy</th><th scope="col">Agreement</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run, i) => {
              const h = headlineOf(run.report);
              const name = `Run ${i + 1}`;
              return (
                <tr key={run.id} data-testid="run-row" aria-current={run.id === current ? 'true' : undefined}>
                  <td><input type="radio" name="run-a" aria-label={`Compare ${name} as A`} checked={picked[0] === run.id} onChange={() => pick(0, run.id)} /></td>
                  <td><input type="radio" name="run-b" aria-label={`Compare ${name} as B`} checked={picked[1] === run.id} onChange={() => pick(1, run.id)} /></td>
                  <th scope="row">
                    {name}: {runTitle(run.report)}{run.id === current && <span className="hint"> (current)</span>}
                    <span className="hint run-settings">{settingsSummary(run.report, STUDIO_SETTINGS)}</span>
                  </th>
                  <td>{when(run.finishedAt)}</td>
                  <td>{fixed(h.avgBits, 2)}</td>
                  <td>{bytesText(run.report.modelBytes)} {h.sizeRatio !== null && <span className="hint">({pct(h.sizeRatio)})</span>}</td>
                  <td>{fixed(h.auc, 4)}</td>
                  <td>{h.accuracy === null ? '–' : pct(h.accuracy)}</td>
                  <td>{h.agreement === null ? '–' : pct(h.agreement)}</td>
                  <td className="runs-actions">
                    <button type="button" className="link" disabled={run.id === current || running} onClick={() => void open(run.id)}>Open</button>
                    <button type="button" className="link" disabled={writing !== null} onClick={() => void downloadHtml(run.id)} aria-label={`HTML report of ${name}`}>
                      {writing === run.id ? 'Writing…' : 'Report'}
                    </button>
                    <button type="button" className="link" onClick={() => void remove(run.id)} aria-label={`Delete ${name}`}>Delete</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {notice && <p className="hint" role="status">{notice}</p>}
      {(error || reportError) && <p className="error" role="alert" data-testid="runs-error">{error ?? reportError}</p>}
      {a && b && a !== b ? <RunCompare a={a} b={b} labels={[label(a.id), label(b.id)]} /> : runs.length > 1 && <p className="hint">Pick two different runs as A and B to compare them.</p>}
    </section>
  );
}
