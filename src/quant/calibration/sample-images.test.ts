import { describe, expect, it } from 'vitest';
import { takeImages } from './sample-images.ts';

/** Batches of one-value "images" numbered 0..total-1. */
const numbered = (sizes: number[]) => {
  let next = 0;
  return sizes.map((count) => {
    const first = next;
    next += count;
    return { count, pixels: Float32Array.from({ length: count * 2 }, (_, i) => first + Math.floor(i / 2) + (i % 2) * 0.5) };
  });
};

describe('takeImages', () => {
  it('spreads the images it takes evenly over every batch, in order, whole', () => {
    // 8 real then 8 fake, in batches of 5: 4 images are 0, 4, 8, 12 (both classes).
    const picked = takeImages(numbered([5, 5, 5, 1]), 4);
    expect(picked.count).toBe(4);
    expect(Array.from(picked.pixels)).toEqual([0, 0.5, 4, 4.5, 8, 8.5, 12, 12.5]);
  });

  it('takes every image when asked for more than there are', () => {
    const picked = takeImages(numbered([2, 1]), 10);
    expect(picked.count).toBe(3);
    expect(Array.from(picked.pixels)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
  });
});
