import { describe, expect, it } from 'vitest';
import { RollingMean } from './rolling-mean.ts';

describe('RollingMean', () => {
  it('averages the last window of values only', () => {
    const m = new RollingMean(3);
    expect(m.mean).toBeNaN();
    expect(m.add(3)).toBe(3);
    expect(m.add(6)).toBe(4.5);
    expect(m.add(9)).toBe(6);
    expect(m.add(30)).toBe(15);
    expect(m.count).toBe(3);
  });

  it('refuses a window that is not a whole number of frames', () => {
    expect(() => new RollingMean(0)).toThrow('the rolling window must be a whole number of frames, got 0');
  });
});
