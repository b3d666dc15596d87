import type { ModelStatus } from '../worker/api.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

export function ModelSummary({ model }: { model: Extract<ModelStatus, { ok: true }> }) {
  const r = model.report;
  const quantizable = r.layers.reduce((s, l) => s + l.params, 0);
  return (
    <div data-testid="model-summary">
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
      </dl>
      <h3>Quantizable layers</h3>
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
      <h3>Operators</h3>
      <ul className="ops">
        {Object.entries(r.opHistogram).map(([op, n]) => (
          <li key={op}>
            {op} <span className="count">{n}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
