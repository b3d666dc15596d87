/** The browser decoder in real Chromium (runs in the browser project; needs no GPU itself). */
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from './decode.ts';
import { decodeImageBrowser } from './decode-browser.ts';

async function fixture(path: string): Promise<Uint8Array> {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

describe('decodeImageBrowser', () => {
  it('returns the exact RGB of an opaque PNG made in the page', async () => {
    const w = 5, h = 3;
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(w, h);
    const expected: number[] = [];
    for (let i = 0; i < w * h; i++) {
      const rgb = [i * 17, 255 - i * 13, (i * 71) % 256];
      img.data.set([...rgb, 255], i * 4);
      expected.push(...rgb);
    }
    ctx.putImageData(img, 0, 0);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const out = await decodeImageBrowser(bytes, 'made.png');
    expect([out.width, out.height, out.name]).toEqual([w, h, 'made.png']);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('reads the fixture sizes, including a non-square one', async () => {
    const out = await decodeImageBrowser(await fixture('/tools/fixtures/images_odd/wide_48x40.png'), 'wide_48x40.png');
    expect([out.width, out.height, out.data.length]).toEqual([48, 40, 48 * 40 * 3]);
  });

  it('decodes lossless WebP to the pixels of the same PNG, and refuses a truncated one', async () => {
    const png = await decodeImageBrowser(await fixture('/tools/fixtures/images_odd/wide_48x40.png'), 'wide_48x40.png');
    const webp = await decodeImageBrowser(await fixture('/tools/fixtures/images_odd/wide_48x40_lossless.webp'), 'wide_48x40_lossless.webp');
    expect([webp.width, webp.height]).toEqual([48, 40]);
    expect(Array.from(webp.data)).toEqual(Array.from(png.data));
    const lossy = await fixture('/tools/fixtures/images_odd/wide_48x40_lossy.webp');
    const err = await decodeImageBrowser(lossy.subarray(0, lossy.length - 30), 'cut.webp').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toBe('cut.webp could not be decoded: truncated WebP data');
  });

  it('refuses a truncated JPEG that Chromium would paint partly grey', async () => {
    const err = await decodeImageBrowser(await fixture('/tools/fixtures/images_odd/broken.jpg'), 'broken.jpg').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toBe('broken.jpg could not be decoded: truncated JPEG data');
  });

  it('reports bytes Chromium cannot decode', async () => {
    // A PNG signature and an IEND marker around garbage.
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 0x49, 0x45, 0x4e, 0x44, 0, 0, 0, 0]);
    await expect(decodeImageBrowser(bytes, 'junk.png')).rejects.toThrow(/^junk\.png could not be decoded: (corrupt|truncated) PNG data/);
  });
});

describe('decodeImageBrowser on hostile and BMP files', () => {
  it('reads every BMP variant to the same pixels as our CLI decoder (Chromium as the independent check)', async () => {
    const { bmpCases } = await import('./bmp-cases.ts');
    for (const c of bmpCases()) {
      const out = await decodeImageBrowser(c.bytes, c.name);
      expect([out.width, out.height], c.name).toEqual([c.width, c.height]);
      expect(Array.from(out.data), c.name).toEqual(c.rgb);
    }
  });

  it('refuses image bombs from the header with the messages the CLI gives', async () => {
    const { gifFile, ihdrChunk, pngChunk, pngFile } = await import('./testing.ts');
    const { zlibSync } = await import('fflate');
    const bomb = pngFile(ihdrChunk(10_000, 10_000), pngChunk('IDAT', zlibSync(new Uint8Array(4))), pngChunk('IEND'));
    await expect(decodeImageBrowser(bomb, 'bomb.png')).rejects.toThrow('bomb.png could not be decoded: the image declares 10000x10000 pixels, more than the limit of 40 megapixels');
    const short = pngFile(ihdrChunk(100, 100), pngChunk('IDAT', zlibSync(new Uint8Array(4))), pngChunk('IEND'));
    await expect(decodeImageBrowser(short, 'short.png')).rejects.toThrow(/truncated PNG data \(4 bytes of pixel data/);
    await expect(decodeImageBrowser(gifFile([10, 10], [{ x: 0, y: 0, w: 65535, h: 65535 }]), 'f.gif')).rejects.toThrow(/GIF frame 1 declares 65535x65535/);
  });
});
