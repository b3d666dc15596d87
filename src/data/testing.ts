/** Image files built byte by byte for tests and the fuzz harness: valid ones and hostile ones. */
import { zlibSync } from 'fflate';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v: number) => [v & 255, (v >>> 8) & 255];
const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

/** One PNG chunk with its length and CRC. */
export function pngChunk(type: string, data: ArrayLike<number> = []): Uint8Array {
  const body = new Uint8Array([...type].map((c) => c.charCodeAt(0)).concat(Array.from(data)));
  return new Uint8Array([...be32(data.length), ...body, ...be32(crc32(body))]);
}

export function ihdrChunk(width: number, height: number, bitDepth = 8, colorType = 2, interlace = 0): Uint8Array {
  return pngChunk('IHDR', [...be32(width), ...be32(height), bitDepth, colorType, 0, 0, interlace]);
}

export function pngFile(...chunks: Uint8Array[]): Uint8Array {
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An RGB PNG whose rows are `filtered` (filter byte 0, then pixels) compressed as one IDAT. */
export function rgbPng(width: number, height: number, filtered?: Uint8Array, interlace = 0): Uint8Array {
  const data = filtered ?? new Uint8Array(height * (1 + 3 * width)).map((_, i) => (i % (1 + 3 * width) === 0 ? 0 : (i * 37) & 255));
  return pngFile(ihdrChunk(width, height, 8, 2, interlace), pngChunk('IDAT', zlibSync(data)), pngChunk('IEND'));
}

/** A GIF: `screen` size, then frames (x, y, width, height) each holding `lzw` sub-block bytes. */
export function gifFile(screen: [number, number], frames: { x: number; y: number; w: number; h: number; data?: number[] }[]): Uint8Array {
  const bytes = [...'GIF89a'].map((c) => c.charCodeAt(0));
  bytes.push(...le16(screen[0]), ...le16(screen[1]), 0x80, 0, 0, 0, 0, 0, 255, 255, 255); // 2-colour global table
  for (const f of frames) {
    bytes.push(0x2c, ...le16(f.x), ...le16(f.y), ...le16(f.w), ...le16(f.h), 0, 2);
    const data = f.data ?? [0x4c, 0x01]; // clear code then end for a 2-bit code: a tiny, short stream
    bytes.push(data.length, ...data, 0);
  }
  bytes.push(0x3b);
  return new Uint8Array(bytes);
}

/** A BMP with a `headerSize`-byte DIB header; `rows` are the pixel rows as stored (bottom-up unless height < 0). */
export function bmpFile(opts: { width: number; height: number; bits: number; headerSize?: number; compression?: number; masks?: number[]; palette?: number[]; rows: number[][] }): Uint8Array {
  const headerSize = opts.headerSize ?? 40;
  const dib: number[] = [...le32(headerSize)];
  if (headerSize === 12) {
    dib.push(...le16(opts.width), ...le16(opts.height), ...le16(1), ...le16(opts.bits));
  } else {
    const paletteCount = opts.palette ? opts.palette.length : 0;
    dib.push(...le32(opts.width), ...le32(opts.height), ...le16(1), ...le16(opts.bits), ...le32(opts.compression ?? 0), ...le32(0), ...le32(2835), ...le32(2835), ...le32(paletteCount), ...le32(0));
    const masks = opts.masks ?? [0, 0, 0, 0];
    if (headerSize >= 52) dib.push(...le32(masks[0]!), ...le32(masks[1]!), ...le32(masks[2]!));
    if (headerSize >= 56) dib.push(...le32(masks[3] ?? 0));
    while (dib.length < headerSize) dib.push(0);
    if (headerSize === 40 && opts.masks) for (const m of opts.masks.slice(0, opts.compression === 6 ? 4 : 3)) dib.push(...le32(m));
  }
  const palette = (opts.palette ?? []).flatMap((rgb) => (headerSize === 12 ? [rgb & 255, (rgb >> 8) & 255, rgb >> 16] : [rgb & 255, (rgb >> 8) & 255, rgb >> 16, 0]));
  const pixels = opts.rows.flat();
  const offset = 14 + dib.length + palette.length;
  return new Uint8Array([0x42, 0x4d, ...le32(offset + pixels.length), 0, 0, 0, 0, ...le32(offset), ...dib, ...palette, ...pixels]);
}
