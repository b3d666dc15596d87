import { useState } from 'react';
import type { StageName } from '../quant/pipeline.ts';
import { useModel } from '../store/model.ts';
import { useQuantize } from '../store/quantize.ts';

const STAGES: StageName[] = ['calibrate', 'score', 'allocate', 'reconstruct', 'evaluate'];

export function QuantizePanel() {
  const opened = useModel((s) => s.opened);
  const { settings, running, progress, result, update, run, cancel } = useQuantize();
  const [files, setFiles] = useState<File[]>([]);
  if (!opened) return null;
  const report = result?.ok ? result.report : null;
  return (
    <section className="panel" aria-labelledby="quant-title">
      <h2 id="quant-title">Quantize</h2>
      <div className="settings">
        <label htmlFor="q-bits">Average weight bits</label>
        <input id="q-bits" type="number" min={1} max={8} step={0.25} value={settings.avgBits} onChange={(e) => update({ avgBits: Number(e.target.value) })} />
        <span className="hint">Every stored bit counts: scales and zero points too.</span>

        <label htmlFor="q-act">Activation bits</label>
        <select id="q-act" value={settings.actBits ?? 'none'} onChange={(e) => update({ actBits: e.target.value === 'none' ? null : Number(e.target.value) })}>
          {['none', 4, 6, 8].map((b) => <option key={b} value={b}>{b === 'none' ? 'float (weights only)' : b}</option>)}
        </select>
        <span className="hint">Per-tensor, on the input of every quantized layer.</span>

        <label htmlFor="q-method">Method</label>
        <select id="q-method" value={settings.method} onChange={(e) => update({ method: e.target.value as typeof settings.method })}>
          <option value="defakeq">DeFakeQ: importance-based bits + learned rounding</option>
          <option value="adaround">AdaRound: uniform bits + learned rounding</option>
          <option value="rtn">Round to nearest, uniform bits</option>
        </select>
        <span className="hint">The baselines run at the same budget.</span>

        <label htmlFor="q-iters">Rounding iterations</label>
        <input id="q-iters" type="number" min={1} value={settings.iters} onChange={(e) => update({ iters: Number(e.target.value) })} />
        <span className="hint">Per layer; more is slower and usually better.</span>

        <label htmlFor="q-calib">Calibration images</label>
        <input id="q-calib" type="file" accept="image/*" multiple onChange={(e) => setFiles([...(e.target.files ?? [])])} />
        <span className="hint">The paper uses 256; a few dozen already work.</span>
      </div>
      <p>
        <button type="button" disabled={running || files.length === 0} onClick={() => void run(files)}>
          Quantize with {files.length} images
        </button>{' '}
        <button type="button" disabled={!running} onClick={cancel}>
          Cancel
        </button>
      </p>
      {(running || Object.keys(progress).length > 0) && (
        <ol className="stages" aria-label="Progress by stage">
          {STAGES.map((stage) => {
            const p = progress[stage];
            return (
              <li key={stage}>
                <span className="stage-name">{stage}</span>
                <progress max={p?.total ?? 1} value={p?.step ?? 0} aria-label={`${stage} progress`} />
                <span className="hint">
                  {p ? `${p.step}/${p.total}` : 'waiting'}
                  {p?.etaSeconds != null && p.step < p.total ? `, about ${Math.ceil(p.etaSeconds)} s left` : ''}
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {result && !result.ok && <p className="error" role="alert" data-testid="quantize-error">{result.message}</p>}
      {report && (
        <div data-testid="quantize-report">
          <p>
            {report.cancelled ? 'Cancelled; kept the stages that finished. ' : ''}
            {report.avgBits.toFixed(2)} bits per weight on average, {(report.modelBytes / 1024).toFixed(1)} KiB of weights
            ({((100 * report.modelBytes) / report.fpBytes).toFixed(1)}% of FP32).
          </p>
          <table className="layers">
            <thead>
              <tr>
                <th scope="col">Layer</th>
                <th scope="col">Bits</th>
                <th scope="col">Importance</th>
                <th scope="col">SQNR (dB)</th>
              </tr>
            </thead>
            <tbody>
              {report.layers.map((l) => (
                <tr key={l.name}>
                  <td>{l.name}</td>
                  <td>{l.bits >= 32 ? 'FP32' : l.bits}</td>
                  <td>{l.score.toPrecision(3)}</td>
                  <td>{l.sqnr === null ? '–' : l.sqnr.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
