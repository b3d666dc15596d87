/**
 * Every pipeline stage by name. The order they run in is STAGES (quant/report.ts), the one list
 * the runner and the UI both follow; a new stage is a module here, its name in STAGES, and its
 * `needed` saying when a run uses it.
 */
import type { StageName } from '../../report.ts';
import { STAGES } from '../../report.ts';
import type { StageModule } from '../stage.ts';
import { allocate } from './allocate.ts';
import { calibrate } from './calibrate.ts';
import { evaluate } from './evaluate.ts';
import { reconstruct } from './reconstruct.ts';
import { reparameterize } from './reparameterize.ts';
import { score } from './score.ts';
import { veft } from './veft.ts';

const MODULES: { [N in StageName]: StageModule & { name: N } } = { reparameterize, calibrate, score, allocate, reconstruct, veft, evaluate };

/** The stage modules in the order they run. */
export const PIPELINE: readonly StageModule[] = STAGES.map((name) => MODULES[name]);
