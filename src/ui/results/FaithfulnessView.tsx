import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import type { Faithfulness } from '../../explain/faithfulness.ts';
import { useExplain } from '../../store/explain.ts';
import { ChartView } from './chart.tsx';

type Curves = { fp: Faithfulness; quantized: Faithfulness };

function curvesConfig({ fp, quantized }: Curves): ChartConfiguration<'line'> {
  const line = (label: string, f: Faithfulness, which: 'deletion' | 'insertion', colour: string, dash: number[]) => ({
    label, borderColor: colour, backgroundColor: colour, borderDash: dash, pointRadius: 2, borderWidth: 2,
    data: f[which].fractions.map((x, i) => ({ x, y: f[which].scores[i] })),
  });
  return {
    type: 'line',
    data: {
      datasets: [
        line('FP, deletion', fp, 'deletion', '#1e3a8a', []),
        line('quantized, deletion', quantized, 'deletion', '#d55e00', []),
        line('FP, insertion', fp, 'insertion', '#1e3a8a', [6, 4]),
        line('quantized, insertion', quantized, 'insertion', '#d55e00', [6, 4]),
      ],
    },
    options: {
      parsing: false,
      plugins: { legend: { position: 'top' } },
      scales: {
        x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'share of patches removed (deletion) or put back (insertion), most relevant first' } },
        y: { min: 0, max: 1, title: { display: true, text: 'fake probability' } },
      },
    },
  };
}

/** Deletion and insertion curves of the shown method's whole-model maps, on request (they cost 2 × 17 runs per model). */
export function FaithfulnessView({ patches }: { patches: number }) {
  const { faithfulness, measureFaithfulness, loading } = useExplain();
  const ok = faithfulness.status?.ok ? faithfulness.status : null;
  const config = useMemo(() => ok && curvesConfig(ok), [ok]);
  const runs = 2 * (Math.min(16, patches) + 1);
  return (
    <section aria-labelledby="faithfulness-title">
      <h3 id="faithfulness-title">Faithfulness: does the map point at what the score rests on?</h3>
      <p className="results-lead">
        Deletion greys out the most relevant patches first (the normalisation's mean colour) and watches the fake probability fall; insertion starts from a grey
        image and puts them back. For an image the model calls fake, a faithful map makes deletion fall fast (a small area) and insertion rise fast (a large
        one); for an image it calls real, the other way round. The grey image itself may look fake to a detector: the curves' first points show it.
      </p>
      <button type="button" onClick={() => void measureFaithfulness()} disabled={faithfulness.running || loading}>
        {faithfulness.running ? 'Measuring…' : `Measure faithfulness (${runs} runs of each model)`}
      </button>
      {faithfulness.status && !faithfulness.status.ok && <p className="error" role="alert">{faithfulness.status.message}</p>}
      {ok && config && (
        <>
          <ChartView config={config} height={240} label="Deletion and insertion curves of the FP and quantized maps" testId="faithfulness-chart" />
          <table className="results-data" data-testid="faithfulness-table">
            <thead><tr><th scope="col">model</th><th scope="col">deletion area</th><th scope="col">insertion area</th></tr></thead>
            <tbody>
              {(['fp', 'quantized'] as const).map((m) => (
                <tr key={m}><th scope="row">{m === 'fp' ? 'FP' : 'quantized'}</th><td>{ok[m].deletion.auc.toFixed(4)}</td><td>{ok[m].insertion.auc.toFixed(4)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
