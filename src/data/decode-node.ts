/** Node image decoding with pure-JS jpeg-js, pngjs and omggif, and libwebp in wasm (no native modules). Not for browser bundles. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import jpeg from 'jpeg-js';
import omggif from 'omggif';
import pngjs from 'pngjs';
import { checkDimensions, checkImageBytes, ImageDecodeError, rgbaToRgb, type DecodedImage, type ImageDecoder } from './decode.ts';

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
  return message.split('\n')[0]!.trim() || 'unknown decoder error';
}

export const decodeImageNode: ImageDecoder = async (bytes: Uint8Array, name: string): Promise<DecodedImage> => {
  const format = checkImageBytes(bytes, name);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (format === 'jpeg') {
      // formatAsRGBA expands grayscale and converts CMYK/YCCK; alpha is then dropped.
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    } else if (format === 'png') {
      // pngjs expands palette and grayscale to RGBA and rescales 16-bit samples to 8-bit.
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = img);
      rgba = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    } else if (format === 'webp') {
      await webpDecoder();
      // A copy: the decoder takes a whole ArrayBuffer, and `bytes` may be a view into a larger one.
      const img = await decodeWebp(bytes.slice().buffer);
      ({ width, height } = img);
      rgba = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    } else if (format === 'gif') {
      // The first frame, composited onto the full logical screen; transparent pixels stay black.
      const gif = new omggif.GifReader(bytes);
      ({ width, height } = gif);
      checkDimensions(width, height, name);
      if (gif.numFrames() === 0) throw new ImageDecodeError(name, 'truncated GIF data (no image frame)');
      rgba = new Uint8Array(width * height * 4);
      gif.decodeAndBlitFrameRGBA(0, rgba);
    } else {
      throw new ImageDecodeError(name, `${FORMAT_NAMES[format]} is not supported by the command-line decoder; convert it to PNG, JPEG, WebP or GIF`);
    }
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `corrupt ${FORMAT_NAMES[format]} data (${reasonOf(e)})`);
  }
  checkDimensions(width, height, name);
  if (rgba.length < width * height * 4) throw new ImageDecodeError(name, 'the decoder returned fewer pixels than the header declares');
  return { width, height, data: rgbaToRgb(rgba, width, height), name };
};
