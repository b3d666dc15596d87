import { STAGES as PIPELINE_STAGES, type QuantizeReport, type StageName } from '../quant/report.ts';
import { useQuantize } from '../store/quantize.ts';

const TITLES: Record<StageName, string> = {
  reparameterize: 'Reparameterize norms',
  calibrate: 'Calibrate',
  score: 'Score layers',
  allocate: 'Allocate bits',
  reconstruct: 'Reconstruct',
  veft: 'Restore channels (VEFT)',
  evaluate: 'Evaluate',
};

/** The pipeline's stages in its order; the optional reparameterisation only when the run uses it. */
function stagesOf(actReparam: boolean): [StageName, string][] {
  return PIPELINE_STAGES.filter((s) => s !== 'reparameterize' || actReparam).map((s) => [s, TITLES[s]]);
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`);

function eta(s: number): string {
  const whole = Math.ceil(s);
  if (whole < 60) return `about ${whole} s left`;
  return `about ${Math.floor(whole / 60)} min ${whole % 60} s left`;
}

/** One progress bar per pipeline stage with step counts, ETA, and the time each finished stage took. */
export function RunProgress({ report }: { report: QuantizeReport | null }) {
  const { running, progress, settings } = useQuantize();
  const STAGES = stagesOf(report ? report.settings.actReparam === true : settings.actReparam === true);
  if (!running && !report && Object.keys(progress).length === 0) return null;
  const total = report && Object.values(report.timings).reduce((s, t) => s + (t ?? 0), 0);
  const current = running ? [...STAGES].reverse().find(([stage]) => progress[stage]) : undefined;
  return (
    <div className="run-progress">
      {/* Announces each stage once, not every step. */}
      <p className="sr-only" aria-live="polite">
        {running ? (current ? `${current[1]} running` : 'Starting') : report ? (report.cancelled ? 'Run cancelled' : report.failed ? 'Run failed' : 'Run finished') : ''}
      </p>
      <ol className="stages" aria-label="Progress by stage" data-testid="stages">
        {STAGES.map(([stage, title]) => {
          const p = progress[stage];
          const ms = report?.timings[stage];
          const done = (report?.completed.includes(stage) ?? false) || (!!p && p.step >= p.total);
          let state: string;
          if (done && ms !== undefined) state = `done in ${seconds(ms)}`;
          else if (done) state = `${p!.step}/${p!.total}, finished`;
          else if (p && running) state = `${p.step}/${p.total}${p.etaSeconds != null && p.step < p.total ? `, ${eta(p.etaSeconds)}` : ''}`;
          else if (report?.cancelled || report?.failed) state = p ? `stopped at ${p.step}/${p.total}` : 'not reached';
          else if (report) state = 'skipped';
          else if (p) state = `stopped at ${p.step}/${p.total}`;
          else state = running ? 'waiting' : 'not reached';
          const value = done ? 1 : p ? p.step / Math.max(1, p.total) : 0;
          return (
            <li key={stage} className={`stage${done ? ' done' : ''}${p && running && !done ? ' active' : ''}`} data-stage={stage}>
              <span className="stage-name">
                <span className="stage-icon" aria-hidden="true">{done ? '✓' : p && running ? '▶' : '○'}</span> {title}
              </span>
              <progress max={1} value={value} aria-label={`${stage} progress`} data-step={p?.step ?? (done ? 'done' : 0)} data-total={p?.total ?? ''} />
              <span className="stage-state" data-testid={`stage-${stage}`}>
                {state}
              </span>
            </li>
          );
        })}
      </ol>
      {total !== null && total > 0 && (
        <p className="hint" data-testid="total-time">
          Total {seconds(total)}.
        </p>
      )}
    </div>
  );
}
