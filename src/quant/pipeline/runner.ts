/**
 * Runs stage modules in the order given, with progress, ETA, cancellation and failure handling.
 * It knows nothing of what the stages do: the list (stages/index.ts, in the order of STAGES)
 * and the state they share decide that.
 */
import type { ProgressEvent, StageName } from '../report.ts';
import type { StageIo, StageModule } from './stage.ts';

export interface RunnerHooks {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  /** Milliseconds per finished stage. */
  timings: Partial<Record<StageName, number>>;
  completed: StageName[];
  cancelled: boolean;
  /** The error a stage failed with, after earlier stages finished. */
  failure?: { cause: unknown; stage: StageName };
}

const cancelled = () => new DOMException('cancelled', 'AbortError');
export const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

/**
 * Runs every stage the state needs, in order. A cancelled run, or one that fails after finishing
 * a stage, returns what finished (with `cancelled` or `failure`); a failure before any stage
 * finished is thrown.
 */
export async function runStages<S>(
  stages: readonly StageModule<S>[], state: S, io: Omit<StageIo, 'step' | 'signal'>, hooks: RunnerHooks,
): Promise<RunOutcome> {
  const outcome: RunOutcome = { timings: {}, completed: [], cancelled: false };
  let current: StageName | undefined;
  try {
    for (const stage of stages) {
      if (!stage.needed(state)) continue;
      if (hooks.signal?.aborted) throw cancelled();
      current = stage.name;
      const started = performance.now();
      const step: StageIo['step'] = (done, total, losses) => {
        const elapsed = (performance.now() - started) / 1000;
        const etaSeconds = done > 0 ? (elapsed / done) * (total - done) : null;
        hooks.onProgress?.({ stage: stage.name, step: done, total, etaSeconds, ...(losses?.length ? { losses } : {}) });
        if (hooks.signal?.aborted) throw cancelled();
      };
      hooks.onProgress?.({ stage: stage.name, step: 0, total: stage.steps(state), etaSeconds: null });
      await stage.run(state, { ...io, signal: hooks.signal, step });
      outcome.timings[stage.name] = performance.now() - started;
      outcome.completed.push(stage.name);
    }
  } catch (error) {
    if (!isAbort(error) && outcome.completed.length === 0) throw error;
    if (isAbort(error)) outcome.cancelled = true;
    else outcome.failure = { cause: error, stage: current! };
  }
  return outcome;
}
