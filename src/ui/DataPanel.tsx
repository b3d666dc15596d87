import { useData, type ImageSet } from '../store/data.ts';
import { useModel } from '../store/model.ts';
import { useQuantize } from '../store/quantize.ts';
import { DropZone } from './DropZone.tsx';

const IMAGE_ACCEPT = 'image/*,.zip';

function SetStatus({ set, what, testId }: { set: ImageSet; what: string; testId: string }) {
  if (set.files.length === 0) return <p className="hint" data-testid={testId}>No {what} yet.</p>;
  if (set.checking || !set.status) return <p className="status" role="status" data-testid={testId}>Looking through {set.files.length} files…</p>;
  if (!set.status.ok) {
    return (
      <p className="error" role="alert" data-testid={testId}>
        <strong>Cannot use {set.files.length === 1 ? 'this file' : 'these files'}:</strong> {set.status.message.replace(/\.?$/, '.')}
      </p>
    );
  }
  const { images, real, fake } = set.status;
  return (
    <p className="ok" role="status" data-testid={testId}>
      <span aria-hidden="true">✓ </span>
      {images} images{real !== null && ` (${real} real, ${fake} fake)`}
      {set.files.length === 1 && /\.zip$/i.test(set.files[0].name) ? ` in ${set.files[0].name}` : ''}
    </p>
  );
}

export function DataPanel() {
  const opened = useModel((s) => s.opened);
  const { calibration, evaluation, setCalibration, setEvaluation } = useData();
  const running = useQuantize((s) => s.running);
  if (!opened) return null;
  return (
    <section className="panel step" aria-labelledby="data-title">
      <h2 id="data-title">
        <span className="step-number" aria-hidden="true">2</span> Images
      </h2>
      <div className="data-columns">
        <div>
          <h3>Calibration images</h3>
          <p className="hint">Unlabelled images like the ones the model will see; they set activation ranges and layer importance. The paper uses 256; a few dozen already work.</p>
          <DropZone label="Choose calibration images" folder="Choose a calibration folder" accept={IMAGE_ACCEPT} onFiles={(f) => void setCalibration(f)} disabled={running} testId="calibration-drop">
            Drop images, a folder or a .zip.
          </DropZone>
          <SetStatus set={calibration} what="calibration images" testId="calibration-status" />
        </div>
        <div>
          <h3>Evaluation set (optional)</h3>
          <p className="hint">Labelled images in <code>real/</code> and <code>fake/</code> folders: the run then reports AUC and accuracy before and after quantization.</p>
          <DropZone label="Choose evaluation files" folder="Choose an evaluation folder" accept={IMAGE_ACCEPT} onFiles={(f) => void setEvaluation(f)} disabled={running} testId="evaluation-drop">
            Drop the folder holding <code>real/</code> and <code>fake/</code>, or a .zip of them.
          </DropZone>
          <SetStatus set={evaluation} what="evaluation set" testId="evaluation-status" />
          {evaluation.files.length > 0 && (
            <button type="button" className="link" onClick={() => void setEvaluation([])} disabled={running}>
              Remove the evaluation set
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
