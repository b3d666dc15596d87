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

/** The class a row of logits predicts: the argmax, or for one logit (a sigmoid's) 1 when it is above 0. */
export function predictedClass(logits: readonly number[]): number {
  if (logits.length === 1) return logits[0]! > 0 ? 1 : 0;
  return logits.indexOf(Math.max(...logits));
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

/** One AUC minus another on the same images, with the paired (DeLong) standard error of that difference. */
export interface AucDifference { difference: number; standardError: number }

/**
 * Two models' ROC-AUCs on the same images, compared (DeLong, DeLong & Clarke-Pearson 1988): the
 * difference a − b and its standard error, which accounts for both models scoring the same faces,
 * so it is far smaller than either AUC's own error when the models mostly agree.
 */
export function pairedAucDifference(a: readonly number[], b: readonly number[], isFake: readonly boolean[]): AucDifference {
  return aucContrast([a, b], [1, -1], isFake);
}

/**
 * A weighted sum of several models' ROC-AUCs on the same images, Σ w_k AUC_k, with its DeLong
 * standard error: e.g. the mean over seeds of one method's AUC minus another's (weights ±1/seeds).
 * The error is the spread over samples of faces, with these models fixed.
 */
export function aucContrast(scores: readonly (readonly number[])[], weights: readonly number[], isFake: readonly boolean[]): AucDifference {
  if (scores.length !== weights.length || scores.length === 0) throw new MetricsError(`an AUC contrast needs one weight per model; got ${weights.length} weights for ${scores.length} models`);
  for (const s of scores) checkPairs(s.length, isFake.length);
  const fakes = isFake.flatMap((f, i) => (f ? [i] : []));
  const reals = isFake.flatMap((f, i) => (f ? [] : [i]));
  if (fakes.length < 2 || reals.length < 2) throw new MetricsError(`comparing ROC-AUCs needs two real and two fake images; got ${reals.length} real and ${fakes.length} fake`);
  // Each image's share of its model's AUC: a fake's against every real, a real's against every fake,
  // summed over the models with their weights.
  const fakeShare = new Float64Array(fakes.length);
  const realShare = new Float64Array(reals.length);
  scores.forEach((s, k) => {
    const w = weights[k]!;
    if (w === 0) return;
    const win = (f: number, r: number) => (s[f]! > s[r]! ? 1 : s[f] === s[r] ? 0.5 : 0);
    fakes.forEach((f, i) => (fakeShare[i] += (w * reals.reduce((sum, r) => sum + win(f, r), 0)) / reals.length));
    reals.forEach((r, i) => (realShare[i] += (w * fakes.reduce((sum, f) => sum + win(f, r), 0)) / fakes.length));
  });
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: Float64Array) => {
    const m = mean(v);
    return v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
  };
  return { difference: mean(fakeShare), standardError: Math.sqrt(variance(fakeShare) / fakes.length + variance(realShare) / reals.length) };
}
