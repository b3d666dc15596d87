import { fakeProbability } from '../data/metrics.ts';
import { useModel } from '../store/model.ts';
import { useRun } from '../store/run.ts';
import { DropZone } from './DropZone.tsx';

/** Classify a few images with the FP32 model, to check the model and its preprocessing. */
export function RunPanel() {
  const opened = useModel((s) => s.opened);
  const { running, result, run } = useRun();
  if (!opened) return null;
  const fake = opened.labels?.[opened.fakeIndex] ?? 'fake';
  const real = opened.labels?.[1 - opened.fakeIndex] ?? 'real';
  return (
    <section className="panel" aria-labelledby="run-title">
      <h2 id="run-title">Try the model</h2>
      <p className="hint">Classify a few images with the original FP32 model, to check it and its preprocessing before quantizing.</p>
      <DropZone label="Choose images to classify" accept="image/*,.zip" onFiles={(f) => void run(f)} disabled={running !== null} testId="classify-drop">
        Drop images or a .zip.
      </DropZone>
      {running !== null && (
        <p className="status" role="status">
          Running on {running} files…
        </p>
      )}
      {result && !result.ok && (
        <p className="error" role="alert" data-testid="run-error">
          {result.message}
        </p>
      )}
      {result?.ok && (
        <>
          <p>
            {result.predictions.length} images in {(result.ms / 1000).toFixed(1)} s.
          </p>
          <div className="table-scroll">
            <table className="layers" data-testid="predictions">
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Prediction</th>
                  <th scope="col">P({fake})</th>
                </tr>
              </thead>
              <tbody>
                {result.predictions.map((p) => {
                  // From the logits, so choosing another fake class relabels the table at once.
                  const pFake = fakeProbability(p.logits, opened.fakeIndex);
                  return (
                    <tr key={p.image}>
                      <td>{p.image}</td>
                      <td>{pFake >= 0.5 ? fake : real}</td>
                      <td>{pFake.toFixed(3)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
