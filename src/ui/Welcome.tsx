import { useGpu } from '../store/gpu.ts';
import { useModel } from '../store/model.ts';
import { useProject } from '../store/project.ts';
import { ModelDrop, ModelStatusLine } from './ModelPanel.tsx';

/** What an empty studio shows: the one-click demo, or your own model. */
export function Welcome() {
  const opened = useModel((s) => s.opened);
  const { busy, startDemo } = useProject();
  const gpuMissing = useGpu((s) => s.status?.ok === false);
  if (opened || busy === 'restoring') return null;
  return (
    <section className="panel welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Start</h2>
      <div className="welcome-columns">
        <div className="welcome-demo">
          <h3>See it work in a few minutes</h3>
          <p>
            The demo quantizes a tiny ViT deepfake detector (32×32 input, 2 blocks, 2 heads) to 4 bits on average
            with 8-bit activations, using 32 calibration images, and evaluates it on 32 labelled ones. Everything is
            made by this project and shipped with the page.
          </p>
          <button type="button" className="button primary" onClick={() => void startDemo()} disabled={busy !== null || gpuMissing} aria-describedby={gpuMissing ? 'demo-needs-gpu' : undefined} data-testid="start-demo">
            {busy === 'loading-demo' ? 'Loading the demo…' : 'Run the demo'}
          </button>
          {gpuMissing && (
            <p className="hint" id="demo-needs-gpu">
              The demo needs WebGPU, which this browser does not offer (see above).
            </p>
          )}
        </div>
        <div className="welcome-own">
          <h3>Or bring your own detector</h3>
          <ModelDrop />
          <ModelStatusLine />
        </div>
      </div>
    </section>
  );
}
