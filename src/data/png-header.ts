/**
 * PNG chunk structure and the length of its pixel data, checked before a decoder sees the file.
 * pngjs trusts the header: short data came back as uninitialised memory, and an interlaced
 * image inflated without a bound. Here the data is inflated in small steps, counting bytes and
 * keeping none, so a compressed bomb is refused after the declared size plus one byte.
 */
import { Unzlib } from 'fflate';

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
  /** [start, end) of each IDAT chunk's data. */
  idat: [number, number][];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const u32be = (b: Uint8Array, i: number) => b[i]! * 2 ** 24 + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
const typeOf = (b: Uint8Array, i: number) => String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);

/** Exactly one IHDR, first; a palette before the data when the colour type needs one; IDAT; IEND. */
export function readPngHeader(b: Uint8Array, fail: (reason: string) => never): PngHeader {
  let header: PngHeader | null = null;
  let palette = false;
  let ended = false;
  const idat: [number, number][] = [];
  for (let p = 8; p < b.length && !ended; ) {
    if (p + 12 > b.length) fail('truncated PNG data');
    const length = u32be(b, p);
    const type = typeOf(b, p + 4);
    const start = p + 8;
    if (length > b.length - start - 4) fail(`truncated PNG data (chunk ${printableType(type)} is cut short)`);
    if (type === 'IHDR') {
      if (header) fail('corrupt PNG data (a second IHDR header)');
      if (p !== 8) fail('corrupt PNG data (IHDR is not the first chunk)');
      header = ihdr(b, start, length, fail);
    } else if (!header) {
      fail('corrupt PNG data (IHDR is not the first chunk)');
    } else if (type === 'PLTE') {
      if (idat.length) fail('corrupt PNG data (the palette comes after the image data)');
      palette = true;
    } else if (type === 'IDAT') {
      idat.push([start, start + length]);
    } else if (type === 'IEND') {
      ended = true;
    }
    p = start + length + 4;
  }
  if (!header) fail('truncated PNG data (no IHDR header)');
  if (!ended) fail('truncated PNG data');
  if (idat.length === 0) fail('corrupt PNG data (no image data)');
  if (header.colorType === 3 && !palette) fail('corrupt PNG data (a palette image without a palette)');
  header.idat = idat;
  return header;
}

function ihdr(b: Uint8Array, at: number, length: number, fail: (reason: string) => never): PngHeader {
  if (length !== 13) fail(`corrupt PNG data (IHDR of ${length} bytes, not 13)`);
  const [width, height] = [u32be(b, at), u32be(b, at + 4)];
  const [bitDepth, colorType, compression, filter, interlace] = [b[at + 8]!, b[at + 9]!, b[at + 10]!, b[at + 11]!, b[at + 12]!];
  if (!DEPTHS[colorType]?.includes(bitDepth)) fail(`corrupt PNG data (bit depth ${bitDepth} with colour type ${colorType})`);
  if (compression !== 0 || filter !== 0 || interlace > 1) fail('corrupt PNG data (unknown compression, filter or interlace method)');
  return { width, height, bitDepth, colorType, interlaced: interlace === 1, idat: [] };
}

/** Filtered bytes the image data must inflate to: one filter byte per row of each pass. */
export function expectedPngDataLength(h: Pick<PngHeader, 'width' | 'height' | 'bitDepth' | 'colorType' | 'interlaced'>): number {
  const bits = CHANNELS[h.colorType]! * h.bitDepth;
  const rows = (w: number, rowsCount: number) => (w > 0 && rowsCount > 0 ? rowsCount * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  // Adam7: the seven passes' origins and steps.
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0!) / dx!), Math.ceil((h.height - y0!) / dy!)), 0);
}

/** Inflates the IDAT data 4 KB at a time, counting; refuses short, long or corrupt data. */
export function checkPngData(b: Uint8Array, header: PngHeader, fail: (reason: string) => never): void {
  const expected = expectedPngDataLength(header);
  let inflated = 0;
  const stream = new Unzlib((chunk) => {
    inflated += chunk.length;
    if (inflated > expected) throw new PngDataOverflow();
  });
  const slices: [number, number][] = [];
  for (const [start, end] of header.idat) for (let p = start; p < end; p += 4096) slices.push([p, Math.min(end, p + 4096)]);
  if (slices.length === 0) fail('corrupt PNG data (empty image data)');
  try {
    slices.forEach(([start, end], i) => stream.push(b.subarray(start, end), i === slices.length - 1));
  } catch (e) {
    if (e instanceof PngDataOverflow) fail(`corrupt PNG data (more pixel data than its ${header.width}x${header.height} header declares)`);
    fail(`corrupt PNG data (${e instanceof Error ? e.message : String(e)})`);
  }
  if (inflated < expected) fail(`truncated PNG data (${inflated} bytes of pixel data where its ${header.width}x${header.height} header needs ${expected})`);
}

class PngDataOverflow extends Error {}

function printableType(type: string): string {
  return /^[A-Za-z]{4}$/.test(type) ? type : 'of unknown type';
}
