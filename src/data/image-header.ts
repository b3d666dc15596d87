/**
 * Image headers read before any decoder runs: the size a file declares is checked against the
 * pixel limit before a pixel is allocated, and the structure the decoders trust (one PNG IHDR
 * before the data, GIF frames inside their screen) is checked here. Shared by the Node and the
 * browser decoders. See docs/errors.md for the limits and why.
 */
import { checkImageBytes, ImageDecodeError, type ImageFormat } from './decode.ts';
import { readBmpHeader } from './bmp.ts';
import { checkPngData, readPngHeader } from './png-header.ts';

/** Larger images are refused before decoding: memory for the decoders stays well under 1.5 GB. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Throws ImageDecodeError for a size that is not positive or above MAX_IMAGE_PIXELS. */
export function checkDimensions(width: number, height: number, name: string, what = 'the image'): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new ImageDecodeError(name, `${what} declares an invalid size ${width}x${height}`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageDecodeError(name, `${what} declares ${width}x${height} pixels, more than the limit of ${MAX_IMAGE_PIXELS / 1e6} megapixels`);
  }
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32le = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 2 ** 24;

/** Format, completeness, structure and declared size: everything checked before pixels are decoded. */
export function checkImage(bytes: Uint8Array, name: string): ImageHeader {
  return readImageHeader(bytes, checkImageBytes(bytes, name), name);
}

/**
 * The declared size of an image whose format is known, with the structure checks of its format.
 * PNG data is also inflated (without keeping it) to check it has the length its header implies.
 */
export function readImageHeader(bytes: Uint8Array, format: ImageFormat, name: string): ImageHeader {
  const fail = (reason: string): never => {
    throw new ImageDecodeError(name, reason);
  };
  let size: { width: number; height: number };
  switch (format) {
    case 'png': {
      const png = readPngHeader(bytes, fail);
      checkDimensions(png.width, png.height, name);
      checkPngData(bytes, png, fail);
      size = png;
      break;
    }
    case 'gif':
      size = readGifHeader(bytes, name, fail);
      break;
    case 'jpeg':
      size = readJpegHeader(bytes, fail);
      break;
    case 'webp':
      size = readWebpHeader(bytes, fail);
      break;
    case 'bmp':
      size = readBmpHeader(bytes, fail, (w, h) => checkDimensions(w, h, name));
      break;
  }
  checkDimensions(size.width, size.height, name);
  return { format, ...size };
}

/** Logical screen, then every block: each frame must lie inside the screen and within the limit. */
function readGifHeader(b: Uint8Array, name: string, fail: (reason: string) => never): { width: number; height: number } {
  if (b.length < 13) fail('truncated GIF data (no logical screen)');
  const version = String.fromCharCode(...b.subarray(3, 6));
  if (version !== '87a' && version !== '89a') fail(`unknown GIF version "GIF${version.replace(/[^ -~]/g, '?')}"`);
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  checkDimensions(width, height, name, 'the GIF screen');
  let p = 13 + (b[10]! & 0x80 ? 3 * (2 << (b[10]! & 7)) : 0);
  const skipSubBlocks = () => {
    for (;;) {
      if (p >= b.length) fail('truncated GIF data');
      const size = b[p++]!;
      if (size === 0) return;
      p += size;
    }
  };
  let frames = 0;
  for (;;) {
    if (p >= b.length) break; // a missing trailer is tolerated, as decoders do
    const block = b[p++]!;
    if (block === 0x3b) break;
    if (block === 0x21) {
      if (p >= b.length) fail('truncated GIF data');
      p++; // extension label
      skipSubBlocks();
    } else if (block === 0x2c) {
      if (p + 9 > b.length) fail('truncated GIF data (frame descriptor)');
      const [x, y, w, h, flags] = [u16le(b, p), u16le(b, p + 2), u16le(b, p + 4), u16le(b, p + 6), b[p + 8]!];
      frames++;
      checkDimensions(w, h, name, `GIF frame ${frames}`);
      if (x + w > width || y + h > height) fail(`GIF frame ${frames} (${w}x${h} at ${x},${y}) lies outside the ${width}x${height} screen`);
      p += 9 + (flags & 0x80 ? 3 * (2 << (flags & 7)) : 0);
      if (p >= b.length) fail('truncated GIF data');
      const minCodeSize = b[p++]!;
      if (minCodeSize < 2 || minCodeSize > 11) fail(`GIF frame ${frames} has an invalid LZW code size ${minCodeSize}`);
      skipSubBlocks();
    } else {
      fail(`corrupt GIF data (unknown block 0x${block.toString(16).padStart(2, '0')} at byte ${p - 1})`);
    }
  }
  if (frames === 0) fail('truncated GIF data (no image frame)');
  return { width, height };
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Segments from SOI up to the first start-of-frame, whose height and width it returns. */
function readJpegHeader(b: Uint8Array, fail: (reason: string) => never): { width: number; height: number } {
  let p = 2;
  for (;;) {
    while (p < b.length && b[p] === 0xff && b[p + 1] === 0xff) p++; // fill bytes
    if (p + 4 > b.length) fail('truncated JPEG data (no frame header)');
    if (b[p] !== 0xff) fail(`corrupt JPEG data (no marker at byte ${p})`);
    const marker = b[p + 1]!;
    if (marker === 0xd9 || marker === 0xda) fail('corrupt JPEG data (no frame header before the image data)');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    const length = u16be(b, p + 2);
    if (length < 2 || p + 2 + length > b.length) fail('truncated JPEG data');
    if (SOF_MARKERS.has(marker)) {
      if (length < 8) fail('corrupt JPEG frame header');
      const height = u16be(b, p + 5);
      const width = u16be(b, p + 7);
      if (height === 0) fail('the JPEG declares its height later in the file (DNL), which is not supported');
      return { width, height };
    }
    p += 2 + length;
  }
}

/** The size in the first image chunk (VP8, VP8L) or the extended header (VP8X). */
function readWebpHeader(b: Uint8Array, fail: (reason: string) => never): { width: number; height: number } {
  if (b.length < 30) fail('truncated WebP data');
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  const d = 20;
  if (chunk === 'VP8X') return { width: u24le(b, d + 4) + 1, height: u24le(b, d + 7) + 1 };
  if (chunk === 'VP8L') {
    if (b[d] !== 0x2f) fail('corrupt WebP data (bad lossless signature)');
    const bits = u32le(b, d + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') {
    if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) fail('corrupt WebP data (bad lossy frame start code)');
    return { width: u16le(b, d + 6) & 0x3fff, height: u16le(b, d + 8) & 0x3fff };
  }
  return fail(`corrupt WebP data (unknown first chunk "${chunk.replace(/[^ -~]/g, '?')}")`);
}
