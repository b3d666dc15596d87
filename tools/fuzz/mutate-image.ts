/**
 * Mutations of images in every format the CLI reads: byte flips and truncation, header fields set
 * to extreme sizes (with PNG CRCs fixed so decoders get past them), chunks repeated or dropped,
 * and PNG data replaced by compressed bombs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { zlibSync } from 'fflate';
import { bmpCases } from '../../src/data/bmp-cases.ts';
import { crc32, gifFile, rgbPng } from '../../src/data/testing.ts';
import { pick, type Rng } from './mutate-model.ts';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Fixture images, plus GIF, BMP and interlaced PNG built in memory. */
export function imageSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const dir of ['tools/fixtures/images', 'tools/fixtures/images_odd']) {
    for (const name of readdirSync(dir).sort()) if (name !== 'broken.jpg') seeds.push({ name, bytes: new Uint8Array(readFileSync(`${dir}/${name}`)) });
  }
  seeds.push({ name: 'interlaced.png', bytes: rgbPng(9, 7, undefined, 1) });
  const lzw = [0x8c, 0x2d, 0x99, 0x87, 0x2a, 0x1c, 0xdc, 0x33, 0xa0, 0x02, 0x75, 0xec, 0x95, 0xfa, 0xa8, 0xde, 0x60, 0x8c, 0x04, 0x91, 0x4c, 0x01];
  seeds.push({ name: 'frames.gif', bytes: gifFile([10, 10], [{ x: 0, y: 0, w: 10, h: 10, data: lzw }, { x: 2, y: 2, w: 3, h: 3 }]) });
  for (const c of bmpCases()) seeds.push({ name: c.name, bytes: c.bytes });
  return seeds;
}

const SIZES = [0, 1, 2, 255, 256, 4096, 10000, 20000, 65535, 65536, 100000, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];

const BOMBS = new Map<number, Uint8Array>();
function bomb(megabytes: number): Uint8Array {
  if (!BOMBS.has(megabytes)) BOMBS.set(megabytes, zlibSync(new Uint8Array(megabytes << 20), { level: 9 }));
  return BOMBS.get(megabytes)!;
}

function put(b: Uint8Array, at: number, value: number, bytes: 2 | 4, bigEndian: boolean): void {
  for (let i = 0; i < bytes; i++) {
    const shift = 8 * (bigEndian ? bytes - 1 - i : i);
    if (at + i < b.length) b[at + i] = Math.floor(value / 2 ** shift) & 255;
  }
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function pngChunks(b: Uint8Array): Chunk[] | null {
  const out: Chunk[] = [];
  for (let p = 8; p + 12 <= b.length; ) {
    const n = (b[p]! << 24 >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
    if (p + 12 + n > b.length) return null;
    out.push({ type: String.fromCharCode(...b.subarray(p + 4, p + 8)), data: b.slice(p + 8, p + 8 + n) });
    p += 12 + n;
  }
  return out;
}

function pngBytes(chunks: Chunk[]): Uint8Array {
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const c of chunks) {
    const body = Uint8Array.from([...c.type].map((x) => x.charCodeAt(0)).concat(Array.from(c.data)));
    const n = c.data.length;
    parts.push(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...body);
    const crc = crc32(body);
    parts.push(crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255);
  }
  return Uint8Array.from(parts);
}

function mutatePng(b: Uint8Array, r: Rng): { bytes: Uint8Array; step: string } | null {
  const chunks = pngChunks(b);
  if (!chunks || chunks.length === 0) return null;
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  const mode = Math.floor(r() * 6);
  if (mode <= 1 && ihdr) {
    put(ihdr.data, mode === 0 ? 0 : 4, pick(r, SIZES), 4, true);
    if (r() < 0.5) put(ihdr.data, mode === 0 ? 4 : 0, pick(r, SIZES), 4, true);
  } else if (mode === 2 && ihdr) {
    ihdr.data[8 + Math.floor(r() * 5)] = pick(r, [0, 1, 2, 3, 4, 6, 8, 16, 255]);
  } else if (mode === 3) {
    const i = Math.floor(r() * chunks.length);
    chunks.splice(Math.floor(r() * chunks.length), 0, chunks[i]!);
  } else if (mode === 4) {
    const idat = chunks.findIndex((c) => c.type === 'IDAT');
    if (idat < 0) return null;
    chunks[idat] = { type: 'IDAT', data: bomb(pick(r, [1, 8, 32])) };
  } else {
    chunks.splice(Math.floor(r() * chunks.length), 1);
  }
  return { bytes: pngBytes(chunks), step: `png edit ${mode}` };
}

/** Header offsets of the size fields, per format: [offset, bytes, big-endian]. */
function sizeFields(name: string, b: Uint8Array): [number, 2 | 4, boolean][] {
  if (name.endsWith('.gif')) {
    const fields: [number, 2 | 4, boolean][] = [[6, 2, false], [8, 2, false]];
    const frame = b.indexOf(0x2c, 13);
    if (frame > 0) for (let k = 1; k <= 7; k += 2) fields.push([frame + k, 2, false]);
    return fields;
  }
  if (name.endsWith('.bmp')) return [[2, 4, false], [10, 4, false], [14, 4, false], [18, 4, false], [22, 4, false], [28, 2, false], [30, 4, false], [46, 4, false]];
  if (name.endsWith('.webp')) return [[4, 4, false], [16, 4, false], [21, 2, false], [24, 4, false], [26, 2, false], [28, 2, false]];
  if (name.endsWith('.jpg')) {
    const sof = b.findIndex((x, i) => x === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2));
    return sof > 0 ? [[sof + 2, 2, true], [sof + 5, 2, true], [sof + 7, 2, true]] : [[4, 2, true]];
  }
  return [];
}

/** One mutated image and what was done to it. */
export function mutateImage(seed: Seed, r: Rng): { bytes: Uint8Array; steps: string[] } {
  const steps: string[] = [];
  let bytes: Uint8Array = seed.bytes.slice();
  const rounds = 1 + Math.floor(r() * 2);
  for (let k = 0; k < rounds; k++) {
    const mode = Math.floor(r() * 4);
    if (mode === 0 && seed.name.endsWith('.png')) {
      const m = mutatePng(bytes, r);
      if (m) {
        bytes = m.bytes;
        steps.push(m.step);
        continue;
      }
    }
    const fields = sizeFields(seed.name, bytes);
    if (mode === 1 && fields.length) {
      const [at, n, be] = pick(r, fields);
      const v = pick(r, SIZES);
      put(bytes, at, v, n, be);
      steps.push(`field @${at} → ${v}`);
    } else if (mode === 2) {
      bytes = bytes.slice(0, Math.floor(r() * bytes.length));
      steps.push('truncated');
    } else {
      const n = 1 + Math.floor(r() * 6);
      for (let i = 0; i < n; i++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      steps.push(`${n} byte flips`);
    }
  }
  return { bytes, steps };
}
