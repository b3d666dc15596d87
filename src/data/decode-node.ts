/**
 * Node image decoding with pure-JS jpeg-js, pngjs and omggif, libwebp in wasm (no native modules)
 * and our own BMP reader. Every file's header is checked first (image-header.ts), so no decoder
 * allocates for a size over the limit. Not for browser bundles.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import jpeg from 'jpeg-js';
import omggif from 'omggif';
import pngjs from 'pngjs';
import { decodeBmp, readBmpHeader } from './bmp.ts';
import { ImageDecodeError, rgbaToRgb, type DecodedImage, type ImageDecoder, type ImageFormat } from './decode.ts';
import { checkImage, MAX_IMAGE_PIXELS } from './image-header.ts';

const { PNG } = pngjs;
const FORMAT_NAMES = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', bmp: 'BMP', gif: 'GIF' } as const;

let webpReady: Promise<void> | null = null;
/** The wasm decoder, compiled once; its glue would otherwise fetch the .wasm by URL, which Node cannot. */
function webpDecoder(): Promise<void> {
  webpReady ??= (async () => {
    const wasm = readFileSync(createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await initWebp(await WebAssembly.compile(wasm));
  })();
  return webpReady;
}

function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0]!.trim().slice(0, 200) || 'unknown decoder error';
}

/**
 * Runs a decoder that reports problems with console.log (omggif does): what it says becomes the
 * error instead of reaching stdout. Decoding is synchronous, so nothing else logs meanwhile.
 */
function withoutConsole<T>(decode: () => T): { value: T; warnings: string[] } {
  const warnings: string[] = [];
  const saved = { log: console.log, warn: console.warn, info: console.info };
  console.log = console.warn = console.info = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    return { value: decode(), warnings };
  } finally {
    Object.assign(console, saved);
  }
}

interface Rgba {
  width: number;
  height: number;
  rgba: Uint8Array;
}

async function decodeRgba(bytes: Uint8Array, format: Exclude<ImageFormat, 'bmp'>, name: string): Promise<Rgba> {
  switch (format) {
    case 'jpeg': {
      // formatAsRGBA expands grayscale and converts CMYK/YCCK; alpha is then dropped.
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 640 });
      return { width: img.width, height: img.height, rgba: img.data };
    }
    case 'png': {
      // pngjs expands palette and grayscale to RGBA and rescales 16-bit samples to 8-bit.
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: img.width, height: img.height, rgba: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    }
    case 'webp': {
      await webpDecoder();
      // A copy: the decoder takes a whole ArrayBuffer, and `bytes` may be a view into a larger one.
      const img = await decodeWebp(bytes.slice().buffer);
      return { width: img.width, height: img.height, rgba: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    }
    case 'gif': {
      // The first frame, composited onto the full logical screen; transparent pixels stay black.
      const { value, warnings } = withoutConsole(() => {
        const gif = new omggif.GifReader(bytes);
        const rgba = new Uint8Array(gif.width * gif.height * 4);
        gif.decodeAndBlitFrameRGBA(0, rgba);
        return { width: gif.width, height: gif.height, rgba };
      });
      if (warnings.length) throw new ImageDecodeError(name, `corrupt GIF data (${reasonOf(warnings[0]).replace(/^Warning, /, '').replace(/\.$/, '')})`);
      return value;
    }
  }
}

export const decodeImageNode: ImageDecoder = async (bytes: Uint8Array, name: string): Promise<DecodedImage> => {
  const header = checkImage(bytes, name);
  const { format } = header;
  if (format === 'bmp') return decodeBmp(bytes, readBmpHeader(bytes, (reason) => { throw new ImageDecodeError(name, reason); }), name);
  let image: Rgba;
  try {
    image = await decodeRgba(bytes, format, name);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `corrupt ${FORMAT_NAMES[format]} data (${reasonOf(e)})`);
  }
  const { width, height, rgba } = image;
  if (width !== header.width || height !== header.height) {
    throw new ImageDecodeError(name, `the decoder read ${width}x${height} pixels where the header declares ${header.width}x${header.height}`);
  }
  if (rgba.length < width * height * 4) throw new ImageDecodeError(name, 'the decoder returned fewer pixels than the header declares');
  return { width, height, data: rgbaToRgb(rgba, width, height), name };
};
