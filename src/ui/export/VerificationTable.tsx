import { speedRatio, type Verification } from '../../export/verify.ts';

const num = (v: number | null, digits: number, exp = false) => (v === null ? '–' : exp ? v.toExponential(digits) : v.toFixed(digits));

/** "3 on CPU (Shape, Gather)", or why there is no count (not a GPU runtime, or no placement log). */
export function offEp(v: Pick<Verification, 'runtime' | 'placement' | 'fellBack'>): string {
  if (!v.runtime.includes('webgpu')) return '–';
  if (!v.placement.length) return 'not reported';
  const ops = [...new Set(v.fellBack.map((n) => n.split(' ')[0]))].join(', ');
  return `${v.fellBack.length} on CPU${ops ? ` (${ops})` : ''}`;
}

/** One row per runtime: how far the exported file is from the studio's simulation, and how fast it runs against the FP file there. */
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
          <th scope="col">FP ms/image</th>
          <th scope="col">vs FP</th>
          <th scope="col">Nodes off the EP (FP file)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => {
          const ratio = speedRatio(v);
          return (
            <tr key={v.runtime}>
              <td>{v.runtime}</td>
              <td>{v.ok ? 'ran' : `failed: ${v.error}`}</td>
              <td>{num(v.maxAbsDeltaLogit, 2, true)}</td>
              <td>{v.agreement === null ? '–' : `${(100 * v.agreement).toFixed(1)}%`}</td>
              <td>{v.auc === null ? '–' : `${v.auc.toFixed(4)} (${num(v.simulatedAuc, 4)})`}</td>
              <td>{num(v.msPerImage, 1)}</td>
              <td title={v.fpError ?? undefined}>{v.fpError ? 'failed' : num(v.fpMsPerImage, 1)}</td>
              <td data-testid="speed-ratio">{ratio === null ? '–' : `${ratio.toFixed(2)}×`}</td>
              <td title={v.fellBack.join('\n')} data-testid="off-ep">
                {offEp(v)}{v.fpFellBack ? ` (${v.fpFellBack.length})` : ''}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
