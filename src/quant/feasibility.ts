/**
 * Settings checked against the model before any work: whatever the model and the settings alone
 * decide (here, whether the bit budget can be met at all) is refused at once, with the least
 * feasible value, instead of after calibration, scoring and the error tables. Pure: the CLI calls
 * it before loading images, the studio while the settings are edited.
 * The pricing is the run's own (storage/cost.ts, the allocator's and the exporter's).
 */
import type { Model } from '../onnx/ir.ts';
import { layerCostOf, type StorageSettings } from '../storage/cost.ts';
import { quantizableLayers } from './layers.ts';
import type { QuantizeSettings } from './settings.ts';

/** A setting the user chose that cannot work for this model; the message says what would. */
export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(message: string, readonly setting: string, readonly least?: number) {
    super(message);
  }
}

export type BudgetSettings = Pick<QuantizeSettings, 'avgBits' | 'candidates'> & StorageSettings;

/**
 * The least average of stored bits per weight any allocation reaches: every layer at the smallest
 * candidate width, with its scales, zero points and biases as the settings store them.
 */
export function leastFeasibleBudget(model: Model, settings: Omit<BudgetSettings, 'avgBits'>): number {
  const layers = quantizableLayers(model);
  if (layers.length === 0) throw new SettingsError('the model has no layer to quantize (no MatMul, Gemm or Conv with a constant weight)', 'model');
  const cost = layerCostOf(model, layers, settings);
  const least = Math.min(...settings.candidates);
  const stored = layers.reduce((sum, _, l) => sum + cost(l, least), 0);
  return stored / layers.reduce((sum, l) => sum + l.inFeatures * l.outFeatures, 0);
}

/** Rounded up to hundredths, so the figure the message gives is itself feasible. */
const upToHundredths = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;

/** Throws a SettingsError naming the least feasible --avg-bits when the budget cannot be met. */
export function checkBudget(model: Model, settings: BudgetSettings): void {
  if (settings.candidates.length === 0) throw new SettingsError('the candidate bit widths are empty', 'bits');
  const least = leastFeasibleBudget(model, settings);
  // The allocator's own tolerance (budget.ts withinBudget).
  if (settings.avgBits * (1 + 1e-12) >= least) return;
  const widths = settings.candidates.length > 1 ? `${Math.min(...settings.candidates)} bits (the least of ${[...settings.candidates].sort((a, b) => a - b).join(', ')})` : `${settings.candidates[0]} bits`;
  const storage = settings.storage === 'export' ? `as the ${settings.exportFormat ?? 'auto'} export stores them` : 'counting scales, zero points and biases';
  throw new SettingsError(
    `a budget of ${settings.avgBits} bits per weight is infeasible for this model: the least is ${upToHundredths(least).toFixed(2)} ` +
      `(every layer at ${widths}, ${storage}${settings.floatParams === 'fp16' ? ', float16 biases' : ''}); raise the budget to at least ${upToHundredths(least).toFixed(2)} or add a smaller width`,
    'avgBits', upToHundredths(least),
  );
}
