import { describe, expect, it } from 'vitest';
import { int64, run, str, t, values } from './test-helpers.ts';

const x = t([1, 1, 1, 2], [1, 2]);
const scales = t([4], [1, 1, 1, 2]);

describe('Resize', () => {
  it('nearest, asymmetric + floor (what torch exports for F.interpolate nearest)', () => {
    const attrs = { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') };
    const [out] = run('Resize', [x, undefined, scales], { opset: 13, attrs });
    expect(out.dims).toEqual([1, 1, 1, 4]);
    expect([...out.data]).toEqual([1, 1, 2, 2]);
  });

  it('linear half_pixel clamps at the borders', () => {
    // source coordinates -0.25, 0.25, 0.75, 1.25 -> clamped to 0, 0.25, 0.75, 1
    expect(values('Resize', [x, undefined, scales], { opset: 13, attrs: { mode: str('linear') } })).toEqual([1, 1.25, 1.75, 2]);
  });

  it('linear align_corners with sizes', () => {
    const out = values('Resize', [t([1, 3], [0, 4, 8]), undefined, undefined, int64([2], [2, 5])], {
      opset: 13,
      attrs: { mode: str('linear'), coordinate_transformation_mode: str('align_corners') },
    });
    expect(out).toEqual([0, 2, 4, 6, 8, 0, 2, 4, 6, 8]);
  });

  it('nearest round_prefer_floor by default on half_pixel', () => {
    // 3 -> 2 with scale 2/3: source (o+0.5)*1.5-0.5 = 0.25, 1.75 -> 0, 2
    expect(values('Resize', [t([3], [1, 2, 3]), undefined, undefined, int64([1], [2])], { opset: 13 })).toEqual([1, 3]);
  });

  it('refuses unsupported modes', () => {
    expect(() => run('Resize', [x, undefined, scales], { opset: 13, attrs: { mode: str('cubic') } })).toThrow(/Resize at node "resize_0": mode="cubic"/);
    expect(() => run('Resize', [x, scales], { opset: 10 })).toThrow(/only 11 and later/);
  });
});
