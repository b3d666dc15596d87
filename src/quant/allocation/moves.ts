/** Moves between candidate widths that keep a choice within budget: repair, fill and exchange. */
import { storedOf, type Table } from './problem.ts';

/**
 * Lowers widths, cheapest objective increase per stored bit saved first, until the budget holds.
 * A step may skip candidates that save nothing (a 3-bit layer stored in a 4-bit container).
 * Returns the moves made.
 */
export function repair(table: Table, choice: number[]): number {
  let stored = storedOf(table, choice);
  let moves = 0;
  while (stored > table.capacity) {
    let bestRate = Infinity;
    let bestLayer = -1;
    let bestChoice = -1;
    choice.forEach((k, l) => {
      for (let lower = k - 1; lower >= 0; lower--) {
        const saved = table.cost[l][k] - table.cost[l][lower];
        if (saved <= 0) continue;
        const rate = (table.value[l][lower] - table.value[l][k]) / saved;
        if (bestLayer < 0 || rate < bestRate) {
          bestRate = rate;
          bestLayer = l;
          bestChoice = lower;
        }
      }
    });
    // buildTable guarantees every layer at its lowest width fits, so some layer can always be lowered.
    stored -= table.cost[bestLayer][choice[bestLayer]] - table.cost[bestLayer][bestChoice];
    choice[bestLayer] = bestChoice;
    moves++;
  }
  return moves;
}

/** Spends leftover budget: the upgrade with the most objective gain per extra stored bit that fits, repeatedly. */
export function fill(table: Table, choice: number[]): number {
  let stored = storedOf(table, choice);
  let moves = 0;
  for (;;) {
    let bestRate = 0;
    let bestLayer = -1;
    let bestChoice = -1;
    choice.forEach((current, l) => {
      for (let k = current + 1; k < table.candidates.length; k++) {
        const extra = table.cost[l][k] - table.cost[l][current];
        const gain = table.value[l][current] - table.value[l][k];
        if (gain <= 0 || stored + extra > table.capacity) continue;
        const rate = extra > 0 ? gain / extra : Infinity;
        if (rate > bestRate) {
          bestRate = rate;
          bestLayer = l;
          bestChoice = k;
        }
      }
    });
    if (bestLayer < 0) return moves;
    stored += table.cost[bestLayer][bestChoice] - table.cost[bestLayer][choice[bestLayer]];
    choice[bestLayer] = bestChoice;
    moves++;
  }
}

/**
 * Local search over single changes and pairs of changes (one layer up, another down) that meet
 * the budget and lower the objective, the largest decrease first. Stops when none is left.
 */
export function exchange(table: Table, choice: number[], maxMoves = 10000): number {
  const L = choice.length;
  const C = table.candidates.length;
  let stored = storedOf(table, choice);
  let moves = 0;
  while (moves < maxMoves) {
    let bestGain = 1e-15 * Math.abs(choice.reduce((s, c, l) => s + table.value[l][c], 0));
    let best: [number, number, number, number] | null = null;
    for (let a = 0; a < L; a++) {
      for (let ka = 0; ka < C; ka++) {
        if (ka === choice[a]) continue;
        const dCostA = table.cost[a][ka] - table.cost[a][choice[a]];
        const gainA = table.value[a][choice[a]] - table.value[a][ka];
        if (stored + dCostA <= table.capacity && gainA > bestGain) {
          bestGain = gainA;
          best = [a, ka, -1, -1];
        }
        for (let m = a + 1; m < L; m++) {
          for (let km = 0; km < C; km++) {
            if (km === choice[m]) continue;
            const dCost = dCostA + table.cost[m][km] - table.cost[m][choice[m]];
            if (stored + dCost > table.capacity) continue;
            const gain = gainA + table.value[m][choice[m]] - table.value[m][km];
            if (gain > bestGain) {
              bestGain = gain;
              best = [a, ka, m, km];
            }
          }
        }
      }
    }
    if (!best) return moves;
    const [a, ka, m, km] = best;
    stored += table.cost[a][ka] - table.cost[a][choice[a]];
    choice[a] = ka;
    if (m >= 0) {
      stored += table.cost[m][km] - table.cost[m][choice[m]];
      choice[m] = km;
    }
    moves++;
  }
  return moves;
}
