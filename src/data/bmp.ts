/**
 * BMP, read by us: no well-kept JavaScript decoder handles the V4/V5 headers and BI_BITFIELDS
 * right (bmp-js was dropped for that). Uncompressed 1, 4, 8, 16, 24 and 32-bit images with the
 * core (OS/2), INFO, V2-V5 headers, palettes, bit-field masks and top-down rows. RLE and embedded
 * JPEG/PNG are refused with a clear reason. Every offset is checked against the file first.
 */
import type { DecodedImage } from './decode.ts';

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  /** Start of the pixel rows and the bytes per row. */
  dataOffset: number;
  stride: number;
  /** RGB entries for 1, 4 and 8-bit images. */
  palette: Uint8Array | null;
  /** Red, green and blue masks for 16 and 32-bit images. */
  masks: [number, number, number] | null;
}

const BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5, BI_ALPHABITFIELDS = 6;
const HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const u16 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u32 = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 2 ** 24;
const i32 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** The header, every offset checked; `checkSize` sees the declared size before anything is sized from it. */
export function readBmpHeader(b: Uint8Array, fail: (reason: string) => never, checkSize: (width: number, height: number) => void = () => {}): BmpHeader {
  if (b.length < 26) fail('truncated BMP data');
  const dataOffset = u32(b, 10);
  const headerSize = u32(b, 14);
  if (!HEADER_SIZES.has(headerSize)) fail(`unknown BMP header of ${headerSize} bytes`);
  if (14 + headerSize > b.length) fail('truncated BMP data (header)');
  const core = headerSize === 12;
  const width = core ? u16(b, 18) : i32(b, 18);
  const rawHeight = core ? u16(b, 20) : i32(b, 22);
  const bitsPerPixel = core ? u16(b, 24) : u16(b, 28);
  const compression = core ? BI_RGB : u32(b, 30);
  if (compression === BI_RLE8 || compression === BI_RLE4) fail('RLE-compressed BMP is not supported; convert it to PNG');
  if (compression === BI_JPEG || compression === BI_PNG) fail('a BMP holding JPEG or PNG data is not supported; convert it to PNG');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) fail(`unknown BMP compression ${compression}`);
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) fail(`unsupported BMP bit depth ${bitsPerPixel}`);
  if (compression !== BI_RGB && bitsPerPixel !== 16 && bitsPerPixel !== 32) fail(`corrupt BMP data (bit fields with ${bitsPerPixel} bits per pixel)`);
  if (rawHeight === -2147483648) fail('corrupt BMP data (invalid height)');
  const height = Math.abs(rawHeight);
  checkSize(width, height);
  let p = 14 + headerSize;
  let masks: [number, number, number] | null = null;
  if (compression !== BI_RGB) {
    // INFO headers keep the masks after the header; V2 and later inside it.
    const at = headerSize === 40 ? p : 14 + 40;
    if (at + 12 > b.length) fail('truncated BMP data (bit masks)');
    masks = [u32(b, at), u32(b, at + 4), u32(b, at + 8)];
    if (headerSize === 40) p += compression === BI_ALPHABITFIELDS ? 16 : 12;
  } else if (bitsPerPixel === 16) {
    masks = [0x7c00, 0x03e0, 0x001f];
  } else if (bitsPerPixel === 32) {
    masks = [0xff0000, 0x00ff00, 0x0000ff];
  }
  let palette: Uint8Array | null = null;
  if (bitsPerPixel <= 8) palette = readPalette(b, p, core ? 3 : 4, core ? 2 ** bitsPerPixel : u32(b, 46), bitsPerPixel, fail);
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (dataOffset < 14 + headerSize || dataOffset + stride * height > b.length) fail('truncated BMP data (pixel rows)');
  return { width, height, topDown: rawHeight < 0, bitsPerPixel, dataOffset, stride, palette, masks };
}

function readPalette(b: Uint8Array, at: number, entryBytes: number, used: number, bits: number, fail: (reason: string) => never): Uint8Array {
  const count = used === 0 ? 2 ** bits : used;
  if (count > 2 ** bits) fail(`corrupt BMP data (${count} palette entries for ${bits}-bit pixels)`);
  if (at + count * entryBytes > b.length) fail('truncated BMP data (palette)');
  // Indices past the palette read black, as browsers do.
  const palette = new Uint8Array(3 * 2 ** bits);
  for (let i = 0; i < count; i++) palette.set([b[at + i * entryBytes + 2]!, b[at + i * entryBytes + 1]!, b[at + i * entryBytes]!], 3 * i);
  return palette;
}

/** Channel value of `pixel` under `mask`, scaled to 0..255; a zero mask reads 0. */
function channel(pixel: number, mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return Math.round((((pixel & mask) >>> shift) * 255) / max);
}

/** RGB pixels of a BMP whose header was read (and its size checked) by readBmpHeader. */
export function decodeBmp(b: Uint8Array, h: BmpHeader, name: string): DecodedImage {
  const { width, height, bitsPerPixel: bits, stride, palette, masks } = h;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      if (palette) {
        const perByte = 8 / bits;
        const byte = b[row + Math.floor(x / perByte)]!;
        const index = (byte >> (8 - bits * (1 + (x % perByte)))) & ((1 << bits) - 1);
        out[o] = palette[3 * index]!;
        out[o + 1] = palette[3 * index + 1]!;
        out[o + 2] = palette[3 * index + 2]!;
      } else if (bits === 24) {
        out[o] = b[row + 3 * x + 2]!;
        out[o + 1] = b[row + 3 * x + 1]!;
        out[o + 2] = b[row + 3 * x]!;
      } else {
        const pixel = bits === 16 ? u16(b, row + 2 * x) : u32(b, row + 4 * x);
        out[o] = channel(pixel, masks![0]);
        out[o + 1] = channel(pixel, masks![1]);
        out[o + 2] = channel(pixel, masks![2]);
      }
    }
  }
  return { width, height, data: out, name };
}
