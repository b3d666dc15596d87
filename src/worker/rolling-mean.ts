/** The mean of the last `window` values: ms per frame as it is now, not since the check started. */
export class RollingMean {
  private readonly values: number[] = [];
  private sum = 0;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`the rolling window must be a whole number of frames, got ${window}`);
  }

  add(value: number): number {
    this.values.push(value);
    this.sum += value;
    if (this.values.length > this.window) this.sum -= this.values.shift()!;
    return this.mean;
  }

  get mean(): number {
    // Summed afresh now and then, so rounding drift never builds up over a long session.
    if (this.values.length === this.window) this.sum = this.values.reduce((a, b) => a + b, 0);
    return this.values.length ? this.sum / this.values.length : NaN;
  }

  get count(): number {
    return this.values.length;
  }
}
