import { useState, type DragEvent } from 'react';
import { useModel } from '../store/model.ts';
import { ModelSummary } from './ModelSummary.tsx';

export function ModelPanel() {
  const { loading, status, opened, open } = useModel();
  const [dragging, setDragging] = useState(false);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void open([...e.dataTransfer.files]);
  };

  return (
    <section className="panel" aria-labelledby="model-title">
      <h2 id="model-title">Model</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor="model-file">Drop an ONNX classifier here (with its .onnx_data and preprocessor_config.json if it has them), or choose it:</label>
        <input
          id="model-file"
          type="file"
          accept=".onnx,.onnx_data,.json"
          multiple
          onChange={(e) => void open([...(e.target.files ?? [])])}
        />
      </div>
      {loading && <p aria-live="polite">Reading {loading}…</p>}
      {status && !status.ok && (
        <p className="error" role="alert" data-testid="model-error">
          {status.message.replace(/\.?$/, '.')}
          {opened && <> The previously opened model, {opened.fileName}, is still loaded.</>}
        </p>
      )}
      {opened && <ModelSummary model={opened} />}
    </section>
  );
}
