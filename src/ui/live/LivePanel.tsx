import { useRef } from 'react';
import { LIVE_WINDOW, useLive } from '../../store/live.ts';
import { useModel } from '../../store/model.ts';
import { useQuantize } from '../../store/quantize.ts';
import './live.css';

const EPS = { wasm: 'onnxruntime-web wasm (CPU)', webgpu: 'onnxruntime-web WebGPU' } as const;

function Figures() {
  const { last, runtime, quantizedName } = useLive();
  const fake = useModel((s) => s.opened?.labels?.[s.opened.fakeIndex] ?? 'fake');
  if (!last) return null;
  const sameDecision = last.fp.score >= 0.5 === last.quantized.score >= 0.5;
  return (
    <>
      <table className="layers live-figures" data-testid="live-figures">
        <thead>
          <tr><th scope="col" /><th scope="col">FP32</th><th scope="col">Quantized</th></tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">P({fake}), this frame</th>
            <td data-testid="live-fp-score">{last.fp.score.toFixed(3)}</td>
            <td data-testid="live-q-score">{last.quantized.score.toFixed(3)}</td>
          </tr>
          <tr>
            <th scope="row">ms / frame, mean of the last {Math.min(last.frames, LIVE_WINDOW)}</th>
            <td data-testid="live-fp-ms">{last.fp.meanMs.toFixed(2)}</td>
            <td data-testid="live-q-ms">{last.quantized.meanMs.toFixed(2)}</td>
          </tr>
        </tbody>
      </table>
      <p className="hint" data-testid="live-frames">
        {last.frames} frames of {last.width}×{last.height} in {runtime}; preprocessing {last.preprocessMs.toFixed(1)} ms.
        {' '}{sameDecision ? 'Both models decide alike on this frame.' : 'The models disagree on this frame.'}
        {quantizedName && <> Quantized file: {quantizedName}.</>}
      </p>
    </>
  );
}

/** The live check: the FP and the exported quantized model, frame by frame, on a camera or a video file. */
export function LivePanel() {
  const video = useRef<HTMLVideoElement>(null);
  const opened = useModel((s) => s.opened);
  const quantized = useQuantize((s) => s.result?.ok === true && !s.running);
  const { ep, phase, source, error, setEp, startCamera, startFile, stop } = useLive();
  if (!opened || !quantized) return null;
  const busy = phase !== 'idle';
  return (
    <section className="panel live" aria-labelledby="live-title">
      <h2 id="live-title">Live check</h2>
      <p className="hint">
        Runs the FP32 model and this run’s exported low-bit file side by side in onnxruntime-web, frame by frame, in a worker of
        their own. Frames stay on this machine; a slow model skips frames rather than fall behind.
      </p>
      <div className="settings live-controls">
        <label htmlFor="live-ep">Runtime</label>
        <select id="live-ep" value={ep} disabled={busy} onChange={(e) => setEp(e.target.value as typeof ep)}>
          {(Object.keys(EPS) as (keyof typeof EPS)[]).map((k) => <option key={k} value={k}>{EPS[k]}</option>)}
        </select>
        <span />
        <span className="live-buttons">
          <button type="button" className="button secondary" disabled={busy} onClick={() => void startCamera(video.current!)}>Use the camera</button>
          <input
            id="live-file" className="sr-only" type="file" accept="video/*" disabled={busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void startFile(video.current!, file);
            }}
          />
          <label className={`button secondary${busy ? ' disabled' : ''}`} htmlFor="live-file">Choose a video file</label>
          <button type="button" className="button secondary" disabled={!busy} onClick={() => void stop()}>Stop</button>
        </span>
      </div>
      {phase === 'preparing' && <p className="status" role="status">Exporting the run and loading both models in onnxruntime-web…</p>}
      {error && <p className="error" role="alert" data-testid="live-error">{error}</p>}
      <div className="live-view">
        <video ref={video} className="live-video" muted playsInline hidden={!source || !busy} aria-label={source?.kind === 'file' ? `Video: ${source.name}` : 'Camera'} />
        <div aria-live="polite"><Figures /></div>
      </div>
    </section>
  );
}
