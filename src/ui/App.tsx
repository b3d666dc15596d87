import { useEffect } from 'react';
import { useGpu } from '../store/gpu.ts';
import { useModel } from '../store/model.ts';
import { useProject } from '../store/project.ts';
import { AdapterPanel } from './AdapterPanel.tsx';
import { DataPanel } from './DataPanel.tsx';
import { ExportPanel } from './export/ExportPanel.tsx';
import { LivePanel } from './live/LivePanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { QuantizePanel } from './QuantizePanel.tsx';
import { ResultsPanel } from './results/ResultsPanel.tsx';
import { RunPanel } from './RunPanel.tsx';
import { RunsPanel } from './runs/RunsPanel.tsx';
import { Welcome } from './Welcome.tsx';

function ProjectBar() {
  const { kind, busy, error, restored, newProject } = useProject();
  const opened = useModel((s) => s.opened);
  return (
    <div className="project-bar">
      <p className="project-state" role="status" data-testid="project-state">
        {busy === 'restoring' && 'Reopening your last project…'}
        {busy === 'loading-demo' && 'Loading the demo…'}
        {!busy && opened && (
          <>
            {kind === 'demo' ? 'Demo project' : `Project: ${opened.fileName}`}
            {restored ? ', reopened from your last visit' : ''}. Saved in this browser only.
          </>
        )}
      </p>
      {opened && (
        <button type="button" className="button secondary" onClick={() => void newProject()}>
          New project
        </button>
      )}
      {error && (
        <p className="error" role="alert" data-testid="project-error">
          {error}
        </p>
      )}
    </div>
  );
}

export function App() {
  const probe = useGpu((s) => s.probe);
  const restore = useProject((s) => s.restore);
  // Without WebGPU nothing else works: say so first.
  const gpuMissing = useGpu((s) => s.status?.ok === false);
  useEffect(() => {
    void probe();
    void restore();
  }, [probe, restore]);

  return (
    <div className="studio">
      <header className="studio-header">
        <div>
          <h1>DeFakeQ Studio</h1>
          <p className="tagline">Quantize ViT, DeiT and Swin detectors on your own GPU. Models and images never leave this machine.</p>
        </div>
        <ProjectBar />
      </header>
      <main>
        {gpuMissing && <AdapterPanel />}
        <Welcome />
        <ModelPanel />
        <DataPanel />
        <QuantizePanel />
        <ResultsPanel />
        <RunsPanel />
        <ExportPanel />
        <LivePanel />
        <RunPanel />
        {!gpuMissing && <AdapterPanel />}
      </main>
    </div>
  );
}
