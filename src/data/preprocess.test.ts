import { describe, expect, it } from 'vitest';
import type { DecodedImage } from './decode.ts';
import { ImageSizeError, preprocess, preprocessorFromConfig, PreprocessorConfigError } from './preprocess.ts';
import { resizeBilinear } from './resize.ts';

function image(width: number, height: number, name = 'img.png', f = (x: number, y: number, c: number) => (x * 7 + y * 13 + c * 50) % 256): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data, name };
}

describe('preprocess', () => {
  const opts = { size: [2, 3] as [number, number], mean: [0.5, 0.4, 0.3] as [number, number, number], std: [0.5, 0.25, 0.2] as [number, number, number] };

  it('lays out NCHW with rescale and per-channel mean/std', () => {
    const imgs = [image(3, 2, 'a.png'), image(3, 2, 'b.png', (x, y, c) => 255 - x - y - c)];
    const out = preprocess(imgs, opts);
    expect(out.length).toBe(2 * 3 * 2 * 3);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) {
      const raw = imgs[n]!.data[(y * 3 + x) * 3 + c]!;
      const want = (raw / 255 - opts.mean[c]!) / opts.std[c]!;
      expect(out[((n * 3 + c) * 2 + y) * 3 + x]).toBeCloseTo(want, 6);
    }
  });

  it('maps 0 and 255 to -1 and 1 with mean = std = 0.5', () => {
    const out = preprocess([image(1, 1, 'p.png', (_x, _y, c) => (c === 1 ? 255 : 0))], { size: [1, 1], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(Array.from(out)).toEqual([-1, 1, -1]);
  });

  it('leaves pixels untouched (identity) when the size matches', () => {
    const img = image(4, 4);
    const out = preprocess([img], { size: [4, 4], mean: [0, 0, 0], std: [1, 1, 1], rescale: 1 });
    expect(Array.from(out.subarray(0, 16))).toEqual(Array.from({ length: 16 }, (_, i) => img.data[i * 3]!));
  });

  it('resizes other sizes with the bilinear resampler', () => {
    const img = image(48, 40, 'wide.png');
    const out = preprocess([img], { size: [32, 32], mean: [0, 0, 0], std: [1, 1, 1], rescale: 1 });
    const resized = resizeBilinear(img, 32, 32);
    expect(Array.from(out.subarray(32 * 32, 2 * 32 * 32))).toEqual(Array.from({ length: 1024 }, (_, i) => resized.data[i * 3 + 1]!));
  });

  it('names the image and both sizes when resizing is off', () => {
    expect(() => preprocess([image(48, 40, 'face.png')], { ...opts, size: [32, 32], resize: false }))
      .toThrow(new ImageSizeError('face.png is 48x40 but the model takes 32x32; pass --size or enable resizing'));
  });

  it('resizes the short edge then center-crops when configured so', () => {
    const img = image(20, 10, 'w.png');
    const out = preprocess([img], { size: [4, 4], resizeTo: { shortestEdge: 4 }, mean: [0, 0, 0], std: [1, 1, 1], rescale: 1 });
    const resized = resizeBilinear(img, 8, 4);
    // crop 4 of 8 columns starting at 2
    const want: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 2; x < 6; x++) want.push(resized.data[(y * 8 + x) * 3]!);
    expect(Array.from(out.subarray(0, 16))).toEqual(want);
  });

  it('rejects a zero std', () => {
    expect(() => preprocess([image(1, 1)], { size: [1, 1], mean: [0, 0, 0], std: [1, 0, 1] })).toThrow(/std must not contain zero/);
  });
});

describe('preprocessorFromConfig', () => {
  it('reads a ViTImageProcessor config', () => {
    const opts = preprocessorFromConfig({
      do_normalize: true, do_rescale: true, do_resize: true, image_mean: [0.1, 0.2, 0.3], image_std: [0.4, 0.5, 0.6],
      rescale_factor: 0.00392156862745098, size: { height: 32, width: 48 },
    });
    expect(opts).toEqual({ size: [32, 48], mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6], rescale: 0.00392156862745098, resize: true });
  });

  it("fills gaps with ViTImageProcessor's defaults and reads an int size", () => {
    expect(preprocessorFromConfig({})).toEqual({ size: [224, 224], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], rescale: 1 / 255, resize: true });
    expect(preprocessorFromConfig({ size: 384 }).size).toEqual([384, 384]);
  });

  it('reads the DeiT layout: resize 256 then center-crop 224', () => {
    const opts = preprocessorFromConfig({ size: { height: 256, width: 256 }, do_center_crop: true, crop_size: { height: 224, width: 224 } });
    expect(opts.size).toEqual([224, 224]);
    expect(opts.resizeTo).toEqual({ height: 256, width: 256 });
  });

  it('reads shortest_edge, normalisation and rescale switches', () => {
    const opts = preprocessorFromConfig({ size: { shortest_edge: 224 }, do_normalize: false, do_rescale: false, do_resize: false });
    expect(opts).toEqual({ size: [224, 224], mean: [0, 0, 0], std: [1, 1, 1], rescale: 1, resize: false });
  });

  it('says which field is wrong', () => {
    expect(() => preprocessorFromConfig({ image_mean: [0.5, 0.5] }, 'cfg.json')).toThrow(new PreprocessorConfigError('cfg.json: image_mean must be a number or three numbers, got [0.5,0.5]'));
    expect(() => preprocessorFromConfig({ size: { height: -1, width: 3 } }, 'cfg.json')).toThrow(/cfg\.json: size\.height must be a positive integer/);
    expect(() => preprocessorFromConfig([], 'cfg.json')).toThrow(/must hold a JSON object/);
  });
});
