import type { MeasuredErrorTable } from './error-models.ts';
import type { WeightRange } from '../simulation/simulate.ts';

/**
 * The weight-range setting. 'auto' (the default): a DeFakeQ run on logit errors measures every
 * (layer, width) variant with both min/max and MSE ranges and gives each layer, at its width,
 * the range that moved the logits less; every other run uses min/max. MSE clipping helps some
 * layers and hurts others (a clipped outlier stays clipped under learned rounding); the
 * measurements are in docs/method.md.
 */
export type WeightRangeSetting = WeightRange | 'auto';

/** A table of logit errors with the weight range each entry was measured with. */
export interface RangedErrorTable extends MeasuredErrorTable {
  ranges: WeightRange[][];
}

/** The range a run without per-layer measurements uses. */
export const fixedRange = (setting: WeightRangeSetting): WeightRange => (setting === 'mse' ? 'mse' : 'minmax');

/** The range a table's entry for layer `layer` at `bits` was measured with. */
export const rangeAt = (table: RangedErrorTable, layer: number, bits: number): WeightRange => table.ranges[layer][table.candidates.indexOf(bits)];

/** A reported layer's range; reports saved before layers carried one used the setting's. */
export function reportedRange(report: { settings: { weightRange: WeightRangeSetting }; layers?: ReadonlyArray<{ name: string; range?: WeightRange }> }, name: string): WeightRange {
  return report.layers?.find((l) => l.name === name)?.range ?? fixedRange(report.settings.weightRange);
}

/** Entry by entry, the lower of the tables' errors and the range that gave it (ties go to the first). */
export function lowerErrors(tables: ReadonlyArray<{ range: WeightRange; table: MeasuredErrorTable }>): RangedErrorTable {
  if (tables.length === 0) throw new RangeError('lowerErrors needs at least one table');
  const [first] = tables;
  for (const { table, range } of tables) {
    if (table.candidates.join() !== first.table.candidates.join() || table.errors.length !== first.table.errors.length) {
      throw new RangeError(`the ${range} error table has other layers or widths than the ${first.range} one`);
    }
  }
  const errors = first.table.errors.map((row) => [...row]);
  const ranges = first.table.errors.map((row) => row.map(() => first.range));
  for (const { table, range } of tables.slice(1)) {
    table.errors.forEach((row, l) => row.forEach((e, b) => {
      if (e < errors[l][b]) {
        errors[l][b] = e;
        ranges[l][b] = range;
      }
    }));
  }
  return { candidates: [...first.table.candidates], errors, ranges };
}
