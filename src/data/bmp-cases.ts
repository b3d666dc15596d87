/**
 * BMP variants the decoder must read, each with the RGB pixels it holds: shared by the Node test
 * and the browser test, where Chromium's own decoder reads the same bytes as an independent check.
 */
import { bmpFile } from './testing.ts';

export interface BmpCase {
  name: string;
  bytes: Uint8Array;
  width: number;
  height: number;
  /** RGB, top row first. */
  rgb: number[];
}

const pad = (row: number[]) => [...row, ...new Array((4 - (row.length % 4)) % 4).fill(0)];
const le16 = (v: number) => [v & 255, v >> 8];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];

/** 3x2 pixels: top row red, green, blue; bottom row white, grey, black. */
const TOP = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
const BOTTOM = [[255, 255, 255], [128, 128, 128], [0, 0, 0]];
const RGB = [...TOP.flat(), ...BOTTOM.flat()];

const bgr24 = (row: number[][]) => pad(row.flatMap(([r, g, b]) => [b!, g!, r!]));

export function bmpCases(): BmpCase[] {
  const cases: BmpCase[] = [];
  const add = (name: string, bytes: Uint8Array, rgb = RGB, width = 3, height = 2) => cases.push({ name, bytes, width, height, rgb });
  // 24-bit, bottom-up (rows stored last row first) and top-down.
  add('rgb24.bmp', bmpFile({ width: 3, height: 2, bits: 24, rows: [bgr24(BOTTOM), bgr24(TOP)] }));
  add('rgb24_topdown.bmp', bmpFile({ width: 3, height: -2, bits: 24, rows: [bgr24(TOP), bgr24(BOTTOM)] }));
  // 32-bit BI_RGB (BGRX) and BI_BITFIELDS in V4 and V5 headers (masks inside the header).
  const bgrx = (row: number[][]) => row.flatMap(([r, g, b]) => [b!, g!, r!, 255]);
  add('rgb32.bmp', bmpFile({ width: 3, height: 2, bits: 32, rows: [bgrx(BOTTOM), bgrx(TOP)] }));
  const rgba = (row: number[][]) => row.flatMap(([r, g, b]) => [r!, g!, b!, 255]);
  const rgbaMasks = [0x000000ff, 0x0000ff00, 0x00ff0000, 0xff000000];
  add('bitfields32_v4.bmp', bmpFile({ width: 3, height: 2, bits: 32, headerSize: 108, compression: 3, masks: rgbaMasks, rows: [rgba(BOTTOM), rgba(TOP)] }));
  add('bitfields32_v5.bmp', bmpFile({ width: 3, height: 2, bits: 32, headerSize: 124, compression: 3, masks: rgbaMasks, rows: [rgba(BOTTOM), rgba(TOP)] }));
  // 16-bit: default 5-5-5 and 5-6-5 bit fields after an INFO header.
  const rgb555 = (row: number[][]) => pad(row.flatMap(([r, g, b]) => le16(((r! >> 3) << 10) | ((g! >> 3) << 5) | (b! >> 3))));
  const at5 = (v: number) => Math.round(((v >> 3) * 255) / 31);
  const at6 = (v: number) => Math.round(((v >> 2) * 255) / 63);
  add('rgb555.bmp', bmpFile({ width: 3, height: 2, bits: 16, rows: [rgb555(BOTTOM), rgb555(TOP)] }), RGB.map(at5));
  const rgb565 = (row: number[][]) => pad(row.flatMap(([r, g, b]) => le16(((r! >> 3) << 11) | ((g! >> 2) << 5) | (b! >> 3))));
  add('rgb565.bmp', bmpFile({ width: 3, height: 2, bits: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], rows: [rgb565(BOTTOM), rgb565(TOP)] }), RGB.map((v, i) => (i % 3 === 1 ? at6(v) : at5(v))));
  // Palettes: 8, 4 and 1 bit, and the OS/2 core header with 3-byte entries.
  const palette = [0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x808080, 0x000000];
  add('pal8.bmp', bmpFile({ width: 3, height: 2, bits: 8, palette, rows: [pad([3, 4, 5]), pad([0, 1, 2])] }));
  add('pal4.bmp', bmpFile({ width: 3, height: 2, bits: 4, palette, rows: [pad([0x34, 0x50]), pad([0x01, 0x20])] }));
  add('pal8_core.bmp', bmpFile({ width: 3, height: 2, bits: 8, headerSize: 12, palette: [...palette, ...new Array(250).fill(0)], rows: [pad([3, 4, 5]), pad([0, 1, 2])] }));
  const mono = [0x000000, 0xffffff];
  const bits = [0b10100000, 0b01000000]; // top row: white, black, white; bottom: black, white, black
  add('mono.bmp', bmpFile({ width: 3, height: 2, bits: 1, palette: mono, rows: [pad([bits[1]!]), pad([bits[0]!])] }), [255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0]);
  return cases;
}

/** BMPs that must be refused, with the reason each gives. */
export function badBmps(): { name: string; bytes: Uint8Array; reason: RegExp }[] {
  const ok = bmpFile({ width: 3, height: 2, bits: 24, rows: [bgr24(BOTTOM), bgr24(TOP)] });
  const withField = (at: number, value: number[]) => {
    const b = ok.slice();
    b.set(value, at);
    return b;
  };
  return [
    { name: 'huge.bmp', bytes: withField(18, [...le32(100_000), ...le32(100_000)]), reason: /declares 100000x100000 pixels, more than the limit/ },
    { name: 'short.bmp', bytes: ok.subarray(0, ok.length - 5), reason: /truncated BMP data \(pixel rows\)/ },
    { name: 'rle.bmp', bytes: withField(30, le32(1)), reason: /RLE-compressed BMP is not supported/ },
    { name: 'header.bmp', bytes: withField(14, le32(77)), reason: /unknown BMP header of 77 bytes/ },
    { name: 'depth.bmp', bytes: withField(28, le16(7)), reason: /unsupported BMP bit depth 7/ },
    { name: 'zero.bmp', bytes: withField(18, le32(0)), reason: /invalid size 0x2/ },
    { name: 'offset.bmp', bytes: withField(10, le32(0xfffffff0)), reason: /truncated BMP data \(pixel rows\)/ },
  ];
}
