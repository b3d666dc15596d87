/**
 * Stage 'allocate': per-layer widths. DeFakeQ solves eq. 5-6 over the error model's table; for
 * logit errors it checks jointly against the widest uniform width (joint-check.ts) and, with
 * VEFT's measured activations, chooses which keep float channels (veft-gate.ts). The baselines
 * take the widest uniform width that fits the budget.
 */
import { layerCostOf, storageOf, storageOptions } from '../../../storage/cost.ts';
import { allocateBits } from '../../allocation/allocate.ts';
import { errorModel, measuredErrorTable, type MeasuredErrorTable } from '../../allocation/error-models.ts';
import { logitErrorTable } from '../../allocation/logit-errors.ts';
import type { QuantizeSettings } from '../../settings.ts';
import type { WeightRange } from '../../simulation/simulate.ts';
import { uniformBits } from '../../allocation/uniform.ts';
import { diagonalErrorTable } from '../../allocation/diagonal-errors.ts';
import { lowerErrors, rangeAt, type RangedErrorTable } from '../../allocation/weight-ranges.ts';
import { restoredCounts, veftActive } from '../../veft/channels.ts';
import { gateRuns, restoredActivations } from '../../veft/gate.ts';
import { checkedAgainstUniform } from './joint-check.ts';
import { gatedAllocation } from './veft-gate.ts';
import { defineStage, type StageIo } from '../stage.ts';
import { errorImages, OPS, setPlanWidths, weightOf, type RunState } from '../state.ts';

/** The weight ranges the logit table measures: both for 'auto', else the one asked for. */
const measuredRanges = (settings: QuantizeSettings): WeightRange[] => (settings.weightRange === 'auto' ? ['minmax', 'mse'] : [settings.weightRange]);

/** Whether the error model's table is measured per weight range (the 'logits' and 'diagonal' tables). */
const perRange = (settings: QuantizeSettings) => settings.method === 'defakeq' && (settings.error === 'logits' || settings.error === 'diagonal');

/** The (layer, width, range) variants the table measures, one progress step each. */
function logitVariants(state: RunState): number {
  const { settings, layers } = state;
  return perRange(settings) ? layers.length * settings.candidates.length * measuredRanges(settings).length : 0;
}

/** The block activations VEFT's gate measures (veft-gate.ts): with the logits table and 'measured' channels; else none. */
function gatedActivations(state: RunState): number {
  const { settings, layers } = state;
  if (settings.method !== 'defakeq' || settings.error !== 'logits' || (settings.veftChannels ?? 'every') !== 'measured') return 0;
  return restoredActivations(restoredCounts(settings, state.structure, layers), layers).length;
}

function gateSteps(state: RunState): number {
  const activations = gatedActivations(state);
  return activations > 0 ? gateRuns(activations) : 0;
}

export const allocate = defineStage({
  name: 'allocate',
  needed: () => true,
  steps: (state) => logitVariants(state) + gateSteps(state) + 1,
  async run(state, io) {
    const { settings, layers, model, results } = state;
    const total = logitVariants(state) + gateSteps(state) + 1;
    if (settings.method === 'defakeq') {
      const tabulated = settings.error === 'measured' || settings.error === 'logits';
      const logits = settings.error === 'logits' ? await logitTable(state, io, total) : undefined;
      const ranged = logits ?? (settings.error === 'diagonal' ? diagonalTable(state, io, total) : undefined);
      const table = ranged ?? (tabulated ? measuredTable(state) : undefined);
      const allocateWith = (restored: readonly number[]) => allocateBits({
        layers: layers.map((l) => storageOf(l, settings.floatParams)), storage: storageOptions(settings.floatParams),
        cost: settings.storage === 'export' || veftActive(settings) ? layerCostOf(model, layers, settings, restored) : undefined, scores: results.map((r) => r.score), budget: settings.avgBits,
        candidates: settings.candidates, error: errorModel(settings.error, table),
      }, settings.solver);
      state.restoredCounts = restoredCounts(settings, state.structure, layers);
      if (logits && gatedActivations(state) > 0) {
        const chosen = await gatedAllocation(state, io, logits, state.restoredCounts, allocateWith, { done: logitVariants(state), total });
        state.allocation = chosen.allocation;
        state.restoredCounts = chosen.counts;
        state.veftGate = chosen.report;
      } else {
        try {
          state.allocation = allocateWith(state.restoredCounts);
        } catch (e) {
          // VEFT's float columns can cost more than a tight budget has (small layers): keep none then.
          if (!state.restoredCounts.some((c) => c > 0) || !(e instanceof RangeError)) throw e;
          state.restoredCounts = layers.map(() => 0);
          state.allocation = allocateWith(state.restoredCounts);
          state.allocation = { ...state.allocation, detail: `${state.allocation.detail}; VEFT's restored channels did not fit the budget, so none are kept` };
        }
        if (logits) state.allocation = await checkedAgainstUniform(state, io, state.allocation, logits);
      }
      state.bits = state.allocation.bits;
      if (ranged) state.bits.forEach((b, i) => (results[i].range = rangeAt(ranged, i, b)));
    } else {
      const b = uniformBits(layers, settings.candidates, settings.avgBits, layerCostOf(model, layers, settings));
      state.bits = layers.map(() => b);
    }
    state.bits.forEach((b, i) => (results[i].bits = b));
    setPlanWidths(state);
    io.step(total, total);
  },
});

/** The 'diagonal' table (no model runs), per weight range as the logit table is. */
function diagonalTable(state: RunState, io: StageIo, total: number): RangedErrorTable {
  const { settings, layers, model } = state;
  const ranges = measuredRanges(settings);
  const per = layers.length * settings.candidates.length;
  return lowerErrors(ranges.map((range, r) => ({
    range,
    table: diagonalErrorTable(layers, (l) => model.graph.initializers.get(l.weight)!, state.calibration!.energy, settings.candidates, range, (done) => io.step(r * per + done * settings.candidates.length, total)),
  })));
}

function measuredTable(state: RunState): MeasuredErrorTable {
  const { settings, layers, cache } = state;
  const calibration = state.calibration!;
  const key = `${state.keys.variant}:measured:${settings.candidates.join(',')}`;
  const cached = cache.measured?.get(key);
  if (cached) return cached;
  const table = measuredErrorTable(layers.map((l) => ({
    weight: weightOf(state, l), layout: l.layout === 'KxN' ? 'KxN' as const : 'NxK' as const,
    inFeatures: l.inFeatures, outFeatures: l.outFeatures,
    input: calibration.inputs.get(l.name)!.data, rows: calibration.inputs.get(l.name)!.rows,
  })), settings.candidates);
  (cache.measured ??= new Map()).set(key, table);
  return table;
}

async function logitTable(state: RunState, io: StageIo, total: number): Promise<RangedErrorTable> {
  const { settings, layers, cache } = state;
  const images = errorImages(state);
  const tables: { range: WeightRange; table: MeasuredErrorTable }[] = [];
  for (const range of measuredRanges(settings)) {
    const key = `${state.keys.logitVariant}:logits:${settings.candidates.join(',')}:${range}:${images.count}`;
    const done = tables.length * layers.length * settings.candidates.length;
    let table = cache.measured?.get(key);
    if (!table) {
      table = await logitErrorTable(io.ctx, OPS, state.model, layers, images, settings.candidates, {
        range, signal: io.signal, onStep: (d) => io.step(done + d, total),
      });
      (cache.measured ??= new Map()).set(key, table);
    }
    tables.push({ range, table });
  }
  return lowerErrors(tables);
}
