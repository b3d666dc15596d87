import { useModel } from '../store/model.ts';
import { useRun } from '../store/run.ts';

export function RunPanel() {
  const opened = useModel((s) => s.opened);
  const { running, result, run } = useRun();
  if (!opened) return null;
  const pre = opened.preprocess;
  return (
    <section className="panel" aria-labelledby="run-title">
      <h2 id="run-title">Try the model</h2>
      <p className="hint">
        {pre
          ? `Images are resized to ${pre.size[1]}×${pre.size[0]} and normalised with mean ${pre.mean.join(', ')} and std ${pre.std.join(', ')} (${pre.source}).`
          : 'The image size is unknown: add the model’s preprocessor_config.json.'}
      </p>
      <label htmlFor="run-images">Choose images to classify:</label>{' '}
      <input id="run-images" type="file" accept="image/*" multiple onChange={(e) => void run([...(e.target.files ?? [])])} />
      {running !== null && <p aria-live="polite">Running on {running} images…</p>}
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
          <table className="layers" data-testid="predictions">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Prediction</th>
                <th scope="col">P(fake)</th>
              </tr>
            </thead>
            <tbody>
              {result.predictions.map((p) => (
                <tr key={p.image}>
                  <td>{p.image}</td>
                  <td>{p.pFake >= 0.5 ? 'fake' : 'real'}</td>
                  <td>{p.pFake.toFixed(3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
