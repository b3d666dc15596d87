/**
 * The interface every pipeline stage implements. A stage is a module over the run's state: the
 * runner (runner.ts) asks whether the run needs it, begins its progress at `steps(state)` and
 * runs it; the stage reads and writes the state and reports its steps through `io`.
 */
import type { GpuContext } from '../../gpu/device.ts';
import type { StageName, VeftLossPoint } from '../report.ts';
import type { RunState } from './state.ts';
import type { Reconstructor } from '../reconstruction/types.ts';

export interface StageIo {
  ctx: GpuContext;
  signal?: AbortSignal;
  /** The caller's learned rounding, for stages that reconstruct. */
  reconstruct?: Reconstructor;
  /**
   * Reports `step` of `total` done in this stage (with an ETA), with the losses recorded since the
   * previous call if any; throws an AbortError once cancelled.
   */
  step(step: number, total: number, losses?: VeftLossPoint[]): void;
}

export interface StageModule<S = RunState> {
  name: StageName;
  /** Whether this run runs the stage (settings, or what earlier stages left). */
  needed(state: S): boolean;
  /** The steps its progress starts with (step 0 of this many). */
  steps(state: S): number;
  run(state: S, io: StageIo): Promise<void>;
}

/** A stage module whose name is the literal it is registered under (stages/index.ts checks it). */
export function defineStage<N extends StageName>(stage: StageModule & { name: N }): StageModule & { name: N } {
  return stage;
}
