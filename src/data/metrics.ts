/** Detector metrics from logits: accuracy and ROC-AUC, with the fake class at a given index. */

export class MetricsError extends Error {
  override name = 'MetricsError';
}

/**
 * How fake an image looks: log(p_fake / (1 − p_fake)) from the softmax of `logits`, or the logit
 * itself for single-output models. Ordered exactly like the softmax probability, but it does not
 * saturate to 1.0 for confident images, which would turn different scores into ties.
 */
export function fakeScore(logits: readonly number[], fakeIndex = 1): number {
  if (logits.length === 1) return logits[0]!;
  if (fakeIndex < 0 || fakeIndex >= logits.length) throw new MetricsError(`fake class index ${fakeIndex} is outside the ${logits.length} logits`);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (i !== fakeIndex) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) if (i !== fakeIndex) sum += Math.exp(logits[i]! - max);
  return logits[fakeIndex]! - (max + Math.log(sum));
}

/** Softmax probability of the fake class (sigmoid for single-output models). */
export function fakeProbability(logits: readonly number[], fakeIndex = 1): number {
  return 1 / (1 + Math.exp(-fakeScore(logits, fakeIndex)));
}

/** Fraction of images whose predicted class (argmax; score > 0 for one logit) is fake exactly when they are. */
export function accuracy(logits: readonly (readonly number[])[], isFake: readonly boolean[], fakeIndex = 1): number {
  checkPairs(logits.length, isFake.length);
  let right = 0;
  logits.forEach((row, i) => {
    if ((fakeScore(row, fakeIndex) > 0) === isFake[i]) right++;
  });
  return right / logits.length;
}

/**
 * Area under the ROC curve by the Mann-Whitney U statistic: the probability that a random fake
 * image scores above a random real one, ties counting half (average ranks).
 */
export function rocAuc(scores: readonly number[], isFake: readonly boolean[]): number {
  checkPairs(scores.length, isFake.length);
  if (scores.some((s) => Number.isNaN(s))) throw new MetricsError('cannot compute ROC-AUC: a score is NaN');
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let fakeRankSum = 0;
  let fakes = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (isFake[order[k]!]) {
        fakeRankSum += averageRank;
        fakes++;
      }
    }
    i = j + 1;
  }
  const reals = scores.length - fakes;
  if (fakes === 0 || reals === 0) throw new MetricsError(`ROC-AUC needs both real and fake images; got ${reals} real and ${fakes} fake`);
  return (fakeRankSum - (fakes * (fakes + 1)) / 2) / (fakes * reals);
}

/** ROC-AUC straight from logits. */
export function rocAucFromLogits(logits: readonly (readonly number[])[], isFake: readonly boolean[], fakeIndex = 1): number {
  return rocAuc(logits.map((row) => fakeScore(row, fakeIndex)), isFake);
}

function checkPairs(n: number, labels: number): void {
  if (n !== labels) throw new MetricsError(`got ${n} predictions but ${labels} labels`);
  if (n === 0) throw new MetricsError('no predictions to score');
}
