import { describe, expect, it } from 'vitest';
import reference from './testdata/pil_resize.json';
import { centerCrop, resizeBilinear } from './resize.ts';

/** The same fixed-seed LCG as testdata/pil_resize.py (BigInt: the products exceed 2^53). */
function lcgBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = BigInt(seed);
  for (let i = 0; i < n; i++) {
    state = (state * 1103515245n + 12345n) % 2n ** 31n;
    out[i] = Number(state >> 23n);
  }
  return out;
}

describe('resizeBilinear', () => {
  for (const c of reference.cases) {
    const [w, h] = c.in as [number, number];
    const [ow, oh] = c.out as [number, number];
    it(`matches Pillow's BILINEAR byte for byte, ${w}x${h} → ${ow}x${oh}`, () => {
      const out = resizeBilinear({ width: w, height: h, data: lcgBytes(w * h * 3, c.seed) }, ow, oh);
      expect([out.width, out.height]).toEqual([ow, oh]);
      expect(Array.from(out.data)).toEqual(c.pixels);
    });
  }

  it('is an exact copy when the size already matches', () => {
    const data = lcgBytes(5 * 4 * 3, 9);
    const out = resizeBilinear({ width: 5, height: 4, data }, 5, 4);
    expect(out.data).toEqual(data);
    expect(out.data).not.toBe(data);
  });

  it('doubles a 2x1 image with half-pixel-centre bilinear weights', () => {
    // Output x centres map to source 0.25 and 0.75 (clamped to the edge pixel), 1.25 and 1.75.
    // Weights for x=1 (centre 0.75): pixel0 0.75, pixel1 0.25 → 0.75·0 + 0.25·200 = 50.
    const img = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 200, 100, 40]) };
    const out = resizeBilinear(img, 4, 1);
    expect(Array.from(out.data)).toEqual([0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40]);
  });

  it('averages (antialiases) when downscaling by 2 instead of sampling', () => {
    // A 1-pixel checker: point sampling would give all 0 or all 255; a box/triangle filter gives the mean.
    const w = 8;
    const data = new Uint8Array(w * w * 3);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const out = resizeBilinear({ width: w, height: w, data }, 4, 4);
    for (const v of out.data) expect(Math.abs(v - 127.5)).toBeLessThanOrEqual(32);
  });

  it('rejects a non-positive target size', () => {
    expect(() => resizeBilinear({ width: 2, height: 2, data: new Uint8Array(12) }, 0, 2)).toThrow(/0x2/);
  });
});

describe('centerCrop', () => {
  it('takes the middle, offsets rounded down as Hugging Face does', () => {
    // 5x1 image with pixel values 0..4; cropping 2 wide starts at floor((5-2)/2) = 1.
    const data = new Uint8Array(15);
    for (let x = 0; x < 5; x++) data.fill(x, x * 3, x * 3 + 3);
    const out = centerCrop({ width: 5, height: 1, data }, 2, 1);
    expect(Array.from(out.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('refuses a crop larger than the image, naming it', () => {
    expect(() => centerCrop({ width: 3, height: 3, data: new Uint8Array(27), name: 'x.png' }, 4, 3)).toThrow(/x\.png is 3x3/);
  });
});
