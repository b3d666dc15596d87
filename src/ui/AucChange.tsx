import type { AucDifference } from '../data/metrics.ts';

/**
 * An AUC's change from another model's (FP32 by default) on the same images, with its paired
 * standard error; more than two errors away is more than chance on this set.
 */
export function AucChange({ change, against = 'FP32', testId = 'auc-change' }: { change: AucDifference; against?: string; testId?: string }) {
  const beyondChance = Math.abs(change.difference) > 2 * change.standardError;
  const signed = `${change.difference >= 0 ? '+' : '−'}${Math.abs(change.difference).toFixed(4)}`;
  return (
    <span
      className="hint"
      data-testid={testId}
      title={`This AUC minus ${against}'s on the same images, ± its paired (DeLong) standard error. Within two errors, the change is what chance alone gives on this many images.`}
    >
      {' '}({signed} ± {change.standardError.toFixed(4)}{beyondChance ? '' : ', within chance'})
    </span>
  );
}
