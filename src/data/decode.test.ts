import jpeg from 'jpeg-js';
import omggif from 'omggif';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { checkImageBytes, ImageDecodeError, sniffFormat } from './decode.ts';
import { decodeImageNode } from './decode-node.ts';

const { PNG } = pngjs;

function pngBytes(width: number, height: number, pixel: (x: number, y: number) => number[], colorType: 0 | 2 | 6 = 6): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true }));
}

/** A GIF of a 4-colour palette; `index` picks each pixel's entry. */
function gifBytes(width: number, height: number, palette: number[], index: (x: number, y: number) => number, transparent?: number): Uint8Array {
  const buffer = new Uint8Array(1024 + width * height * 2);
  const writer = new omggif.GifWriter(buffer, width, height, { palette });
  const pixels = Array.from({ length: width * height }, (_, i) => index(i % width, Math.floor(i / width)));
  writer.addFrame(0, 0, width, height, pixels, transparent === undefined ? {} : { transparent });
  return buffer.slice(0, writer.end());
}

const pattern = (x: number, y: number) => [x * 40, y * 60, 255 - x * 10 - y, 128 + x];

describe('decodeImageNode', () => {
  it('decodes an RGBA PNG to RGB, dropping alpha', async () => {
    const img = await decodeImageNode(pngBytes(3, 2, pattern), 'a.png');
    expect([img.width, img.height, img.name]).toEqual([3, 2, 'a.png']);
    const expected = [];
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expected.push(...pattern(x, y).slice(0, 3));
    expect(Array.from(img.data)).toEqual(expected);
  });

  it('expands a grayscale PNG to three equal channels', async () => {
    const img = await decodeImageNode(pngBytes(2, 2, (x, y) => [x * 100 + y * 50, x * 100 + y * 50, x * 100 + y * 50, 255], 0), 'g.png');
    expect(Array.from(img.data)).toEqual([0, 0, 0, 100, 100, 100, 50, 50, 50, 150, 150, 150]);
  });

  it('rescales a 16-bit PNG to 8 bits', async () => {
    const png = new PNG({ width: 2, height: 1 });
    const samples = new Uint16Array([0, 257 * 128, 65535, 65535, 65535, 0, 257 * 10, 65535]);
    png.data = Buffer.from(samples.buffer);
    const bytes = new Uint8Array(PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 16 }));
    const img = await decodeImageNode(bytes, 'deep.png');
    expect(Array.from(img.data)).toEqual([0, 128, 255, 255, 0, 10]);
  });

  it('decodes a JPEG close to the pixels it was made from', async () => {
    const w = 16, h = 16;
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([200, 60, 30, 255], i * 4);
    const bytes = new Uint8Array(jpeg.encode({ width: w, height: h, data }, 95).data);
    const img = await decodeImageNode(bytes, 'face.jpg');
    expect([img.width, img.height, img.data.length]).toEqual([w, h, w * h * 3]);
    for (let i = 0; i < w * h; i++) {
      expect(Math.abs(img.data[3 * i]! - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs(img.data[3 * i + 1]! - 60)).toBeLessThanOrEqual(3);
      expect(Math.abs(img.data[3 * i + 2]! - 30)).toBeLessThanOrEqual(3);
    }
  });

  it('reports a truncated JPEG in one line naming the file', async () => {
    const data = new Uint8Array(16 * 16 * 4).fill(90);
    const full = new Uint8Array(jpeg.encode({ width: 16, height: 16, data }, 90).data);
    const err = await decodeImageNode(full.subarray(0, Math.floor(full.length * 0.7)), 'face_003.jpg').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toBe('face_003.jpg could not be decoded: truncated JPEG data');
  });

  it('reports a truncated PNG', async () => {
    const full = pngBytes(8, 8, pattern);
    await expect(decodeImageNode(full.subarray(0, full.length - 20), 'cut.png')).rejects.toThrow('cut.png could not be decoded: truncated PNG data');
  });

  it('reports a PNG whose compressed data is corrupt', async () => {
    const bytes = pngBytes(8, 8, pattern).slice();
    const idat = Buffer.from(bytes).indexOf('IDAT');
    bytes.fill(0xff, idat + 6, idat + 30);
    const err = await decodeImageNode(bytes, 'bad.png').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toMatch(/^bad\.png could not be decoded: corrupt PNG data \(.+\)$/);
  });

  it('rejects random bytes, text and empty files', async () => {
    const random = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) % 256);
    await expect(decodeImageNode(random, 'r.jpg')).rejects.toThrow('r.jpg could not be decoded: not a JPEG, PNG, WebP, BMP or GIF image');
    await expect(decodeImageNode(new TextEncoder().encode('hello'), 't.png')).rejects.toThrow(/^t\.png could not be decoded: not a/);
    await expect(decodeImageNode(new Uint8Array(0), 'e.png')).rejects.toThrow('e.png could not be decoded: the file is empty');
  });

  it('decodes lossless WebP to exactly the pixels of the same picture as PNG, and lossy WebP close to them', async () => {
    const { readFile } = await import('node:fs/promises');
    const read = async (name: string) => decodeImageNode(new Uint8Array(await readFile(`tools/fixtures/images_odd/${name}`)), name);
    const png = await read('wide_48x40.png');
    const lossless = await read('wide_48x40_lossless.webp');
    expect([lossless.width, lossless.height]).toEqual([48, 40]);
    expect(Buffer.from(lossless.data).equals(Buffer.from(png.data))).toBe(true);
    const lossy = await read('wide_48x40_lossy.webp');
    expect([lossy.width, lossy.height, lossy.data.length]).toEqual([48, 40, png.data.length]);
    const diff = lossy.data.map((v, i) => Math.abs(v - png.data[i]!));
    expect(diff.some((d) => d > 0)).toBe(true);
    expect(diff.reduce((a, d) => a + d, 0) / diff.length).toBeLessThan(4);
  });

  it('reports a truncated or corrupt WebP', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = new Uint8Array(await readFile('tools/fixtures/images_odd/wide_48x40_lossy.webp'));
    await expect(decodeImageNode(bytes.subarray(0, bytes.length - 30), 'cut.webp')).rejects.toThrow('cut.webp could not be decoded: truncated WebP data');
    const garbled = bytes.slice();
    garbled.fill(0x55, 20, garbled.length);
    await expect(decodeImageNode(garbled, 'bad.webp')).rejects.toThrow(/^bad\.webp could not be decoded: corrupt WebP data \(.+\)$/);
  });

  it('decodes the first frame of a GIF to exactly its palette colours, transparent pixels as black', async () => {
    const palette = [0xff0000, 0x00ff80, 0x123456, 0xfedcba];
    const index = (x: number, y: number) => (x + 2 * y) % 4;
    const image = await decodeImageNode(gifBytes(5, 3, palette, index, 3), 'p.gif');
    expect([image.width, image.height]).toEqual([5, 3]);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 5; x++) {
        const c = index(x, y) === 3 ? 0 : palette[index(x, y)]!;
        expect([...image.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)]).toEqual([c >> 16, (c >> 8) & 255, c & 255]);
      }
    }
  });

  it('reports a GIF with no frames or corrupt header data in one line', async () => {
    const bytes = gifBytes(4, 4, [0, 0xffffff, 0x808080, 0x404040], (x, y) => (x * y) % 4);
    // Header and palette only: the frame never starts.
    await expect(decodeImageNode(bytes.subarray(0, 13 + 12), 'cut.gif')).rejects.toThrow('cut.gif could not be decoded: truncated GIF data (no image frame)');
    const garbled = bytes.slice();
    garbled.fill(0x55, 13 + 12, garbled.length);
    await expect(decodeImageNode(garbled, 'bad.gif')).rejects.toThrow(/^bad\.gif could not be decoded: corrupt GIF data \(.+\)$/);
  });
});

describe('sniffFormat / checkImageBytes', () => {
  it('goes by content, not extension', () => {
    expect(sniffFormat(pngBytes(1, 1, () => [0, 0, 0, 255]))).toBe('png');
    expect(sniffFormat(new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]))).toBe('webp');
    expect(sniffFormat(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('accepts a JPEG whose only early EOI belongs to a thumbnail only if a later one ends the scan', () => {
    // SOI, a fake thumbnail EOI, SOS, scan bytes, no final EOI → truncated.
    const truncated = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xd9, 0xff, 0xda, 1, 2, 3]);
    expect(() => checkImageBytes(truncated, 't.jpg')).toThrow('truncated JPEG data');
    const whole = new Uint8Array([...truncated, 0xff, 0xd9]);
    expect(checkImageBytes(whole, 'w.jpg')).toBe('jpeg');
  });
});

describe('fixture images', () => {
  it('decodes every picture in tools/fixtures/images and the odd ones as expected', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = 'tools/fixtures/images';
    const names = (await readdir(dir)).sort();
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const img = await decodeImageNode(new Uint8Array(await readFile(`${dir}/${name}`)), name);
      expect([img.width, img.height, img.data.length]).toEqual([32, 32, 32 * 32 * 3]);
    }
    const wide = await decodeImageNode(new Uint8Array(await readFile('tools/fixtures/images_odd/wide_48x40.png')), 'wide_48x40.png');
    expect([wide.width, wide.height]).toEqual([48, 40]);
    await expect(decodeImageNode(new Uint8Array(await readFile('tools/fixtures/images_odd/broken.jpg')), 'broken.jpg'))
      .rejects.toThrow('broken.jpg could not be decoded: truncated JPEG data');
  });
});
