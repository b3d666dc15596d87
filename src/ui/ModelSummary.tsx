import { fakeClassOf } from '../model/labels.ts';
import { useModel } from '../store/model.ts';
import type { ModelStatus } from '../worker/api.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

export function ModelSummary({ model }: { model: Extract<ModelStatus, { ok: true }> }) {
  const r = model.report;
  const quantizable = r.layers.reduce((s, l) => s + l.params, 0);
  const ops = Object.entries(r.opHistogram).sort((a, b) => b[1] - a[1]);
  const most = Math.max(1, ...ops.map(([, n]) => n));
  return (
    <div data-testid="model-summary" className="model-summary">
      <dl className="facts">
        <dt>File</dt>
        <dd>
          {model.fileName} ({(model.bytes / 1024).toFixed(0)} KiB)
        </dd>
        <dt>Architecture</dt>
        <dd data-testid="model-architecture">{r.architecture}</dd>
        <dt>Opset</dt>
        <dd>{r.opset}</dd>
        <dt>Parameters</dt>
        <dd>
          {fmt(r.totalParams)} ({fmt(quantizable)} in {r.layers.length} quantizable layers)
        </dd>
        <dt>Blocks</dt>
        <dd>
          {r.blocks.length} with {r.attention.length} attention cores
          {r.swin && `, windows of ${r.swin.windowSize}×${r.swin.windowSize}, ${r.swin.shiftedAttention} shifted`}
        </dd>
        {r.tokens.length > 0 && (
          <>
            <dt>Tokens</dt>
            <dd>{r.tokens.join(', ')}</dd>
          </>
        )}
        <dt>Classes</dt>
        <dd data-testid="model-labels">{model.labels ? model.labels.map((l, i) => `${i} = ${l}`).join(', ') : 'not named (no config.json)'}</dd>
        <FakeClass model={model} />
      </dl>
      <div className="summary-columns">
        <details className="layers-details">
          <summary>
            <h3>Quantizable layers ({r.layers.length})</h3>
          </summary>
          <div className="table-scroll">
            <table className="layers" data-testid="layer-table">
              <thead>
                <tr>
                  <th scope="col">Layer</th>
                  <th scope="col">Op</th>
                  <th scope="col">In</th>
                  <th scope="col">Out</th>
                  <th scope="col">Parameters</th>
                </tr>
              </thead>
              <tbody>
                {r.layers.map((l) => (
                  <tr key={l.name}>
                    <td>{l.name}</td>
                    <td>{l.op}</td>
                    <td>{l.inFeatures}</td>
                    <td>{l.outFeatures}</td>
                    <td>{fmt(l.params)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
        <details className="ops-details">
          <summary>
            <h3>Operators ({ops.length} kinds)</h3>
          </summary>
          <table className="ops" aria-label="Operator histogram">
            <tbody>
              {ops.map(([op, n]) => (
                <tr key={op}>
                  <th scope="row">{op}</th>
                  <td className="ops-bar">
                    <span style={{ width: `${(100 * n) / most}%` }} />
                  </td>
                  <td className="count">{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </div>
    </div>
  );
}

/** Which class is "fake" in runs, quantization, sweeps and the export's checks: read from the labels, or chosen here. */
function FakeClass({ model }: { model: Extract<ModelStatus, { ok: true }> }) {
  const { setFakeClass, fakeClassError } = useModel();
  const found = fakeClassOf(model.labels);
  const why = model.fakeIndex !== found.index ? 'chosen here' : found.fromLabels ? 'as config.json names it' : model.labels ? 'the labels do not say which: class 1 by default' : 'class 1 by default';
  return (
    <>
      <dt>
        <label htmlFor="fake-class">Fake class</label>
      </dt>
      <dd>
        <select id="fake-class" data-testid="fake-class" value={model.fakeIndex} onChange={(e) => void setFakeClass(Number(e.target.value))}>
          {[0, 1].map((i) => (
            <option key={i} value={i}>
              {model.labels?.[i] ? `${i} = ${model.labels[i]}` : `class ${i}`}
            </option>
          ))}
        </select>{' '}
        <span className="hint" data-testid="fake-class-source">{why}</span>
        {fakeClassError && (
          <span className="error" role="alert">
            {' '}
            {fakeClassError}
          </span>
        )}
      </dd>
    </>
  );
}
