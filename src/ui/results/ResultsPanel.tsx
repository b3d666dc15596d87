import type { KeyboardEvent } from 'react';
import { useModel } from '../../store/model.ts';
import { useQuantize } from '../../store/quantize.ts';
import { useResults, type ResultsView } from '../../store/results.ts';
import { AttentionView } from './AttentionView.tsx';
import { BitsView } from './BitsView.tsx';
import { LayerView } from './LayerView.tsx';
import { ParetoView } from './ParetoView.tsx';
import './results.css';

const VIEWS: { id: ResultsView; title: string; needsRun: boolean }[] = [
  { id: 'bits', title: 'Bits per layer', needsRun: true },
  { id: 'layer', title: 'Layer weights', needsRun: true },
  { id: 'attention', title: 'Attention maps', needsRun: true },
  { id: 'pareto', title: 'Size vs accuracy', needsRun: false },
];

/** Results views (bits per layer, layer histogram, attention maps, Pareto sweep and comparison). */
export function ResultsPanel() {
  const opened = useModel((s) => s.opened);
  const result = useQuantize((s) => s.result);
  const settings = useQuantize((s) => s.settings);
  const { view, show } = useResults();
  if (!opened) return null;
  const report = result?.ok ? result.report : null;
  const active = !report && VIEWS.find((v) => v.id === view)!.needsRun ? 'pareto' : view;
  const enabled = VIEWS.filter((v) => report || !v.needsRun);
  // Arrow keys, Home and End move between the enabled tabs (WAI-ARIA tabs, automatic activation).
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const at = enabled.findIndex((v) => v.id === active);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: enabled.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = enabled[(next + enabled.length) % enabled.length];
    show(target.id);
    document.getElementById(`results-tab-${target.id}`)?.focus();
  };
  return (
    <section className="panel results" aria-labelledby="results-title">
      <h2 id="results-title">Results</h2>
      <div role="tablist" aria-label="Results views" className="results-tabs" onKeyDown={onKeyDown}>
        {VIEWS.map((v) => (
          <button
            key={v.id} type="button" role="tab" id={`results-tab-${v.id}`} aria-controls="results-view"
            aria-selected={active === v.id} tabIndex={active === v.id ? 0 : -1} disabled={v.needsRun && !report} onClick={() => show(v.id)}
          >
            {v.title}
          </button>
        ))}
      </div>
      {!report && <p className="hint">Quantize the model to see its bits, weights and attention; the sweep runs on its own.</p>}
      <div role="tabpanel" id="results-view" aria-labelledby={`results-tab-${active}`} className="results-view">
        {active === 'bits' && report && <BitsView report={report} />}
        {active === 'layer' && report && <LayerView report={report} />}
        {active === 'attention' && report && <AttentionView />}
        {active === 'pareto' && <ParetoView currentBudget={report?.settings.avgBits ?? settings.avgBits} />}
      </div>
    </section>
  );
}
