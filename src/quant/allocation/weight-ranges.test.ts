import { describe, expect, it } from 'vitest';
import { fixedRange, lowerErrors, reportedRange } from './weight-ranges.ts';

describe('weight ranges', () => {
  it('takes, entry by entry, the lower error and the range that gave it', () => {
    const t = lowerErrors([
      { range: 'minmax', table: { candidates: [2, 4], errors: [[4, 1], [3, 0.5]] } },
      { range: 'mse', table: { candidates: [2, 4], errors: [[2, 1], [5, 0.25]] } },
    ]);
    expect(t.candidates).toEqual([2, 4]);
    expect(t.errors).toEqual([[2, 1], [3, 0.25]]);
    // A tie keeps the first table's range.
    expect(t.ranges).toEqual([['mse', 'minmax'], ['minmax', 'mse']]);
  });

  it('refuses tables of other shapes', () => {
    expect(() => lowerErrors([
      { range: 'minmax', table: { candidates: [2, 4], errors: [[1, 1]] } },
      { range: 'mse', table: { candidates: [2, 3], errors: [[1, 1]] } },
    ])).toThrow(/mse error table has other layers or widths than the minmax one/);
    expect(() => lowerErrors([])).toThrow(/at least one/);
  });

  it("runs without measurements use min/max for 'auto'", () => {
    expect(fixedRange('auto')).toBe('minmax');
    expect(fixedRange('mse')).toBe('mse');
    expect(fixedRange('minmax')).toBe('minmax');
  });

  it("a reported layer's own range wins; older reports fall back on the setting", () => {
    const report = { settings: { weightRange: 'auto' as const }, layers: [{ name: 'a', range: 'mse' as const }, { name: 'b' }] };
    expect(reportedRange(report, 'a')).toBe('mse');
    expect(reportedRange(report, 'b')).toBe('minmax');
    expect(reportedRange({ settings: { weightRange: 'mse' } }, 'a')).toBe('mse');
  });
});
