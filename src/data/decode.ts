/**
 * Image bytes → RGB pixels. The platform decoders live in decode-node.ts (jpeg-js, pngjs) and
 * decode-browser.ts (createImageBitmap); this file holds what both share, so browser bundles
 * never pull in Node-only modules.
 */
import { printableName } from '../onnx/names.ts';

/** 8-bit RGB pixels, row-major, 3 bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** The file the pixels came from; used in error messages. */
  name?: string;
}

export type ImageDecoder = (bytes: Uint8Array, name: string) => Promise<DecodedImage>;

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(file: string, reason: string) {
    super(`${printableName(file)} could not be decoded: ${reason}`);
  }
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'bmp' | 'gif';

/** The format by magic bytes (file extensions lie), or null. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  return null;
}

function lastIndexOfPair(bytes: Uint8Array, a: number, b: number, from = bytes.length - 2): number {
  for (let i = from; i >= 0; i--) if (bytes[i] === a && bytes[i + 1] === b) return i;
  return -1;
}

/**
 * Checks the format is known and the file is complete. Decoders (browsers especially) render a
 * truncated JPEG or PNG as a partly grey picture without complaint; that must not reach a model.
 */
export function checkImageBytes(bytes: Uint8Array, name: string): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError(name, 'the file is empty');
  const format = sniffFormat(bytes);
  if (!format) throw new ImageDecodeError(name, 'not a JPEG, PNG, WebP, BMP or GIF image');
  if (format === 'jpeg') {
    // The end-of-image marker must follow the last start-of-scan (entropy data cannot contain it;
    // an EXIF thumbnail's EOI comes before the main scan).
    const sos = lastIndexOfPair(bytes, 0xff, 0xda);
    if (sos < 0 || lastIndexOfPair(bytes, 0xff, 0xd9) < sos) throw new ImageDecodeError(name, 'truncated JPEG data');
  }
  if (format === 'png' && !hasPngEnd(bytes)) throw new ImageDecodeError(name, 'truncated PNG data');
  // The RIFF header gives the size of what follows it; a shorter file lost its end.
  if (format === 'webp' && bytes.length < 8 + (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16)) + bytes[7]! * 2 ** 24) throw new ImageDecodeError(name, 'truncated WebP data');
  return format;
}

function hasPngEnd(bytes: Uint8Array): boolean {
  // IEND chunk type; trailing junk after it is tolerated as decoders do.
  const start = Math.max(8, bytes.length - 4096);
  for (let i = bytes.length - 4; i >= start; i--) {
    if (bytes[i] === 0x49 && bytes[i + 1] === 0x45 && bytes[i + 2] === 0x4e && bytes[i + 3] === 0x44) return true;
  }
  return false;
}

/** Drops the alpha channel, as PIL's convert('RGB') does (no compositing). */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = rgba[4 * i]!;
    out[3 * i + 1] = rgba[4 * i + 1]!;
    out[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return out;
}
