import type { Verification } from '../../export/verify.ts';

const num = (v: number | null, digits: number, exp = false) => (v === null ? '–' : exp ? v.toExponential(digits) : v.toFixed(digits));

/** One row per runtime: how far the exported file is from the studio's simulation. */
export function VerificationTable({ rows }: { rows: Verification[] }) {
  return (
    <table className="layers" data-testid="export-verification">
      <thead>
        <tr>
          <th scope="col">Runtime</th>
          <th scope="col">Status</th>
          <th scope="col">max |Δlogit|</th>
          <th scope="col">Agreement</th>
          <th scope="col">AUC (simulated)</th>
          <th scope="col">ms/image</th>
          <th scope="col">Nodes off the EP</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => (
          <tr key={v.runtime}>
            <td>{v.runtime}</td>
            <td>{v.ok ? 'ran' : `failed: ${v.error}`}</td>
            <td>{num(v.maxAbsDeltaLogit, 2, true)}</td>
            <td>{v.agreement === null ? '–' : `${(100 * v.agreement).toFixed(1)}%`}</td>
            <td>{v.auc === null ? '–' : `${v.auc.toFixed(4)} (${num(v.simulatedAuc, 4)})`}</td>
            <td>{num(v.msPerImage, 1)}</td>
            <td title={v.fellBack.join('\n')}>
              {v.runtime.includes('webgpu') ? (v.placement.length ? `${v.fellBack.length} on CPU (${[...new Set(v.fellBack.map((n) => n.split(' ')[0]))].join(', ') || 'none'})` : 'not reported') : '–'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
