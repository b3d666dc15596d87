import { useEffect } from 'react';
import { useGpu } from '../store/gpu.ts';
import { AdapterPanel } from './AdapterPanel.tsx';
import { ExportPanel } from './export/ExportPanel.tsx';
import { ResultsPanel } from './results/ResultsPanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { QuantizePanel } from './QuantizePanel.tsx';
import { RunPanel } from './RunPanel.tsx';

export function App() {
  const probe = useGpu((s) => s.probe);
  useEffect(() => {
    void probe();
  }, [probe]);

  return (
    <div className="studio">
      <header className="studio-header">
        <h1>DeFakeQ Studio</h1>
        <p className="tagline">
          Quantize ViT, DeiT and Swin detectors on your own GPU. Models and images never leave this machine.
        </p>
      </header>
      <main>
        <AdapterPanel />
        <ModelPanel />
        <RunPanel />
        <QuantizePanel />
        <ResultsPanel />
        <ExportPanel />
      </main>
    </div>
  );
}
