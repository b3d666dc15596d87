/** Hostile images: every one is refused from its header or its data length, before pixels are allocated. */
import jpeg from 'jpeg-js';
import { describe, expect, it, vi } from 'vitest';
import { ImageDecodeError } from './decode.ts';
import { decodeImageNode } from './decode-node.ts';
import { checkImage, MAX_IMAGE_PIXELS } from './image-header.ts';
import { expectedPngDataLength } from './png-header.ts';
import { gifFile, ihdrChunk, pngChunk, pngFile, rgbPng } from './testing.ts';
import { zlibSync } from 'fflate';

const refusal = async (bytes: Uint8Array, name: string) => {
  const e = await decodeImageNode(bytes, name).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ImageDecodeError);
  return (e as Error).message;
};

/** A PNG declaring width x height whose IDAT is a few bytes. */
const tinyPng = (width: number, height: number, interlace = 0) =>
  pngFile(ihdrChunk(width, height, 8, 2, interlace), pngChunk('IDAT', zlibSync(new Uint8Array(4))), pngChunk('IEND'));

describe('PNG', () => {
  it('refuses sizes over the limit from the header, at once and without allocating', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(await refusal(tinyPng(10_000, 10_000), 'bomb.png')).toBe('bomb.png could not be decoded: the image declares 10000x10000 pixels, more than the limit of 40 megapixels');
    expect(await refusal(tinyPng(1, 100_000_000), 'thin.png')).toMatch(/1x100000000 pixels, more than the limit/);
    expect(await refusal(tinyPng(20_000, 20_000), 'big.png')).toMatch(/20000x20000 pixels/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('refuses pixel data shorter than the header needs, the same way every time', async () => {
    const message = await refusal(tinyPng(100, 100), 'short.png');
    expect(message).toBe(`short.png could not be decoded: truncated PNG data (4 bytes of pixel data where its 100x100 header needs ${100 * 301})`);
    expect(await refusal(tinyPng(100, 100), 'short.png')).toBe(message);
    expect(await refusal(tinyPng(5000, 5000), 'short.png')).toMatch(/truncated PNG data \(4 bytes/);
  });

  it('refuses data that inflates past the declared size (interlaced too), without inflating it all', async () => {
    const bomb = zlibSync(new Uint8Array(8 << 20)); // 8 MB of zeros in about 8 KB
    for (const interlace of [0, 1]) {
      const file = pngFile(ihdrChunk(64, 64, 8, 2, interlace), pngChunk('IDAT', bomb), pngChunk('IEND'));
      expect(await refusal(file, 'zip.png')).toBe('zip.png could not be decoded: corrupt PNG data (more pixel data than its 64x64 header declares)');
    }
  });

  it('accepts exactly one IHDR, first', async () => {
    const idat = pngChunk('IDAT', zlibSync(new Uint8Array(2 * 7)));
    expect(await refusal(pngFile(ihdrChunk(2, 2), ihdrChunk(2, 2), idat, pngChunk('IEND')), 'twice.png')).toMatch(/a second IHDR header/);
    expect(await refusal(pngFile(idat, ihdrChunk(2, 2), pngChunk('IEND')), 'late.png')).toMatch(/IHDR is not the first chunk/);
    expect(await refusal(pngFile(ihdrChunk(2, 2, 8, 3), idat, pngChunk('IEND')), 'nopal.png')).toMatch(/a palette image without a palette/);
    expect(await refusal(pngFile(ihdrChunk(2, 2, 3, 2), idat, pngChunk('IEND')), 'depth.png')).toMatch(/bit depth 3 with colour type 2/);
  });

  it('computes the filtered length of plain and interlaced images', () => {
    expect(expectedPngDataLength({ width: 3, height: 2, bitDepth: 8, colorType: 2, interlaced: false })).toBe(2 * 10);
    expect(expectedPngDataLength({ width: 1, height: 1, bitDepth: 1, colorType: 0, interlaced: true })).toBe(2);
    // 8x8 Adam7: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels at 3 bytes each.
    const passes = [[1, 1], [1, 1], [2, 1], [2, 2], [4, 2], [4, 4], [8, 4]];
    expect(expectedPngDataLength({ width: 8, height: 8, bitDepth: 8, colorType: 2, interlaced: true })).toBe(passes.reduce((s, [w, h]) => s + h! * (1 + 3 * w!), 0));
  });

  it('still decodes a valid PNG built the same way', async () => {
    const img = await decodeImageNode(rgbPng(3, 2), 'ok.png');
    expect([img.width, img.height, img.data.length]).toEqual([3, 2, 18]);
  });
});

describe('GIF', () => {
  it('refuses a huge frame in a small screen and a frame outside it', async () => {
    expect(await refusal(gifFile([10, 10], [{ x: 0, y: 0, w: 65535, h: 65535 }]), 'f.gif')).toMatch(/GIF frame 1 declares 65535x65535 pixels, more than the limit/);
    expect(await refusal(gifFile([10, 10], [{ x: 5, y: 0, w: 10, h: 10 }]), 'o.gif')).toBe('o.gif could not be decoded: GIF frame 1 (10x10 at 5,0) lies outside the 10x10 screen');
    expect(await refusal(gifFile([65535, 65535], [{ x: 0, y: 0, w: 1, h: 1 }]), 's.gif')).toMatch(/the GIF screen declares 65535x65535 pixels/);
    // Every frame is checked, not only the first.
    expect(await refusal(gifFile([10, 10], [{ x: 0, y: 0, w: 2, h: 2 }, { x: 0, y: 0, w: 9000, h: 9000 }]), 'm.gif')).toMatch(/GIF frame 2 declares 9000x9000/);
  });

  it('turns the decoder\'s warnings into the error and prints nothing on stdout', async () => {
    const log = vi.spyOn(console, 'log');
    const write = vi.spyOn(process.stdout, 'write');
    try {
      const message = await refusal(gifFile([8, 8], [{ x: 0, y: 0, w: 8, h: 8 }]), 'short.gif');
      expect(message).toBe('short.gif could not be decoded: corrupt GIF data (gif stream shorter than expected)');
      expect(write).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
  });
});

describe('JPEG and WebP headers', () => {
  it('reads the JPEG frame size and refuses one over the limit before decoding', async () => {
    const ok = new Uint8Array(jpeg.encode({ width: 16, height: 8, data: new Uint8Array(16 * 8 * 4) }, 90).data);
    expect(checkImage(ok, 'ok.jpg')).toEqual({ format: 'jpeg', width: 16, height: 8 });
    const sof = ok.findIndex((b, i) => b === 0xff && ok[i + 1] === 0xc0);
    const big = ok.slice();
    big.set([0xff, 0xff, 0xff, 0xff], sof + 5); // 65535 x 65535
    expect(await refusal(big, 'big.jpg')).toMatch(/the image declares 65535x65535 pixels, more than the limit of 40 megapixels/);
  });

  it('reads WebP sizes from VP8L, VP8 and VP8X and refuses an extended canvas over the limit', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const name of ['wide_48x40_lossless.webp', 'wide_48x40_lossy.webp']) {
      expect(checkImage(new Uint8Array(await readFile(`tools/fixtures/images_odd/${name}`)), name)).toEqual({ format: 'webp', width: 48, height: 40 });
    }
    const riff = (chunk: string, body: number[]) => new Uint8Array([...'RIFF'].map((c) => c.charCodeAt(0)).concat([12 + body.length, 0, 0, 0], [...`WEBP${chunk}`].map((c) => c.charCodeAt(0)), [body.length, 0, 0, 0], body));
    const vp8x = riff('VP8X', [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]);
    expect(() => checkImage(vp8x, 'x.webp')).toThrow(/16777216x16777216 pixels, more than the limit/);
    expect(MAX_IMAGE_PIXELS).toBe(40_000_000);
  });
});
