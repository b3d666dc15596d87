import type { AucDifference } from '../data/metrics.ts';

/** The AUC's change from FP with its paired standard error; more than two errors away is more than chance on this set. */
export function AucChange({ change }: { change: AucDifference }) {
  const beyondChance = Math.abs(change.difference) > 2 * change.standardError;
  const signed = `${change.difference >= 0 ? '+' : '−'}${Math.abs(change.difference).toFixed(4)}`;
  return (
    <span
      className="hint"
      data-testid="auc-change"
      title="Quantized AUC minus FP32's on the same images, ± its paired (DeLong) standard error. Within two errors, the change is what chance alone gives on this many images."
    >
      {' '}({signed} ± {change.standardError.toFixed(4)}{beyondChance ? '' : ', within chance'})
    </span>
  );
}
