import { useEffect } from 'react';
import { dataReady, useData } from '../store/data.ts';
import { useGpu } from '../store/gpu.ts';
import { useModel } from '../store/model.ts';
import { useQuantize } from '../store/quantize.ts';
import { AucChange } from './AucChange.tsx';
import { RunProgress } from './RunProgress.tsx';
import { SettingsForm } from './SettingsForm.tsx';
import { VeftLossChart } from './VeftLossChart.tsx';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function AdapterLine() {
  const status = useGpu((s) => s.status);
  if (!status) return <span>Looking for a GPU…</span>;
  if (!status.ok) return <span>No WebGPU adapter: {status.message}</span>;
  const a = status.adapter;
  return (
    <span data-testid="run-adapter">
      On {a.description || [a.vendor, a.architecture].filter(Boolean).join(' ') || 'an unnamed adapter'}
      {a.isFallbackAdapter ? ' (a software adapter on the CPU: expect minutes, not seconds)' : ''}
    </span>
  );
}

function Summary() {
  const result = useQuantize((s) => s.result);
  const running = useQuantize((s) => s.running);
  if (!result || running) return null;
  if (!result.ok) {
    return (
      <p className="error" role="alert" data-testid="quantize-error">
        <strong>The run failed:</strong> {result.message.replace(/\.?$/, '.')}
      </p>
    );
  }
  const r = result.report;
  return (
    <div data-testid="quantize-report" className="report-summary">
      {r.failed && (
        <p className="error" role="alert" data-testid="quantize-error">
          <strong>The run failed</strong> in its {r.failed.stage} stage: {r.failed.message.replace(/\.?$/, '.')} Kept the stages that finished ({r.completed.join(', ') || 'none'}); layers not reconstructed keep nearest rounding.
        </p>
      )}
      {r.cancelled && (
        <p className="notice" role="status">
          <strong>Cancelled;</strong> kept the stages that finished ({r.completed.join(', ') || 'none'}). Layers not reconstructed keep nearest rounding.
        </p>
      )}
      <dl className="figures">
        <div>
          <dt>Bits per weight</dt>
          <dd>{r.avgBits.toFixed(2)}</dd>
        </div>
        <div>
          <dt>Weights</dt>
          <dd>
            {(r.modelBytes / 1024).toFixed(1)} KiB <span className="hint">({pct(r.modelBytes / r.fpBytes)} of FP32)</span>
          </dd>
        </div>
        {r.evaluation && (
          <>
            <div>
              <dt>
                AUC, FP32 → quantized <span className="hint">(class {r.evaluation.fakeIndex ?? 1} as fake)</span>
              </dt>
              <dd data-testid="auc">
                {r.evaluation.fp.auc.toFixed(3)} → {r.evaluation.quantized.auc.toFixed(3)}
                {r.evaluation.aucChange && <AucChange change={r.evaluation.aucChange} />}
              </dd>
            </div>
            <div>
              <dt>Accuracy, FP32 → quantized</dt>
              <dd>
                {pct(r.evaluation.fp.accuracy)} → {pct(r.evaluation.quantized.accuracy)}
              </dd>
            </div>
            <div>
              <dt>Same prediction</dt>
              <dd>
                {pct(r.evaluation.agreement)} <span className="hint">of {r.evaluation.fp.n} images</span>
              </dd>
            </div>
          </>
        )}
      </dl>
      <p className="hint">{r.avgBits.toFixed(2)} bits per weight on average, {r.settings.method}, {r.layers.length} layers.</p>
    </div>
  );
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A run estimated to be long, before it starts: what it will cost and a choice. */
function LongRunWarning() {
  const pending = useQuantize((s) => s.pending);
  const confirm = useQuantize((s) => s.confirm);
  if (!pending || pending.seconds === null) return null;
  return (
    <div className="notice" role="alertdialog" aria-labelledby="long-run-title" data-testid="long-run-warning">
      <p id="long-run-title">
        <strong>This run will take about {duration(pending.seconds)} or more</strong> on this adapter (it does {(pending.rate / 1e9).toFixed(2)} GFLOP/s):{' '}
        {pending.stages.map((s) => `${s.stage} ${duration(s.seconds)}`).join(', ')}.
        {pending.scaled.length > 0 && ` To fit the stage budget it already runs with ${pending.scaled.map((c) => `${c.setting} ${c.to}`).join(', ')}.`}
      </p>
      <div className="run-bar">
        <button type="button" className="button primary" onClick={() => void confirm(true)}>
          Start anyway
        </button>
        <button type="button" className="button secondary" onClick={() => void confirm(false)}>
          Not now
        </button>
      </div>
    </div>
  );
}

export function QuantizePanel() {
  const opened = useModel((s) => s.opened);
  const { running, cancelling, result, run, cancel, pending, settingsProblem, checkSettings } = useQuantize();
  const data = useData();
  // The open model changed: its settings are checked again before a run.
  useEffect(() => void checkSettings(), [opened, checkSettings]);
  if (!opened) return null;
  const report = result?.ok ? result.report : null;
  const ready = dataReady(data);
  const images = data.calibration.status?.ok ? data.calibration.status.images : 0;
  const evalImages = data.evaluation.status?.ok ? data.evaluation.status.images : 0;
  return (
    <section className="panel step" aria-labelledby="quant-title">
      <h2 id="quant-title">
        <span className="step-number" aria-hidden="true">3</span> Quantize
      </h2>
      <SettingsForm />
      <div className="run-bar">
        <button type="button" className="button primary" disabled={running || !ready || !!settingsProblem || pending !== null} onClick={() => void run()} aria-describedby={settingsProblem ? 'settings-problem' : 'run-what'}>
          {running ? 'Quantizing…' : ready ? `Quantize with ${images} images` : 'Quantize'}
        </button>
        <button type="button" className="button secondary" disabled={!running || cancelling} onClick={cancel}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
        <span className="hint" id="run-what">
          {ready ? `${images} calibration images${evalImages ? `, ${evalImages} evaluation images` : ', no evaluation set'}. ` : 'Add calibration images first (step 2). '}
          <AdapterLine />
        </span>
      </div>
      <LongRunWarning />
      {settingsProblem && (
        <p className="error" role="alert" id="settings-problem" data-testid="settings-problem">
          <strong>Cannot quantize with these settings:</strong> {settingsProblem.replace(/\.?$/, '.')}
        </p>
      )}
      <RunProgress report={running ? null : report} />
      <VeftLossChart report={running ? null : report} />
      <Summary />
    </section>
  );
}
