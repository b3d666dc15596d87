import { useModel } from '../store/model.ts';
import { useProject } from '../store/project.ts';
import { DropZone } from './DropZone.tsx';
import { ModelSummary } from './ModelSummary.tsx';
import { PreprocessPanel } from './PreprocessPanel.tsx';

export const MODEL_ACCEPT = '.onnx,.onnx_data,.data,.json';

export function ModelDrop({ compact = false }: { compact?: boolean }) {
  const loading = useModel((s) => s.loading);
  const openOwnModel = useProject((s) => s.openOwnModel);
  return (
    <DropZone label={compact ? 'Open another model' : 'Choose model files'} accept={MODEL_ACCEPT} onFiles={(f) => void openOwnModel(f)} disabled={loading !== null} testId="model-drop">
      Drop an ONNX classifier here, together with its <code>.onnx_data</code> (if its weights are external),{' '}
      <code>config.json</code> and <code>preprocessor_config.json</code>.
    </DropZone>
  );
}

export function ModelStatusLine() {
  const { loading, status, opened } = useModel();
  return (
    <>
      {loading && (
        <p className="status" role="status">
          Reading {loading}…
        </p>
      )}
      {status && !status.ok && (
        <p className="error" role="alert" data-testid="model-error">
          <strong>{status.fileName} could not be opened:</strong> {status.message.replace(/\.?$/, '.')}
          {opened && <> The previously opened model, {opened.fileName}, is still loaded.</>}
        </p>
      )}
    </>
  );
}

export function ModelPanel() {
  const opened = useModel((s) => s.opened);
  if (!opened) return null;
  return (
    <section className="panel step" aria-labelledby="model-title">
      <h2 id="model-title">
        <span className="step-number" aria-hidden="true">1</span> Model
      </h2>
      <ModelSummary model={opened} />
      <PreprocessPanel />
      <ModelDrop compact />
      <ModelStatusLine />
    </section>
  );
}
