/**
 * Resizing 8-bit RGB exactly as Pillow's Image.resize(..., BILINEAR) does (Pillow's Resample.c),
 * which is what Hugging Face image processors call: a triangle filter whose support widens with
 * the scale factor when downscaling (so it antialiases), separable, horizontal pass first,
 * fixed-point weights with 22 fraction bits, rounding to uint8 after each pass.
 * Equal sizes are an exact copy.
 */
import type { DecodedImage } from './decode.ts';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** First source index per output index. */
  start: Int32Array;
  /** Number of taps per output index. */
  count: Int32Array;
  /** Fixed-point weights, `ksize` slots per output index. */
  weights: Int32Array;
  ksize: number;
}

const triangle = (x: number) => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle filter has support 1
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = triangle((x + xmin - center + 0.5) / filterScale);
      total += w[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const v = total !== 0 ? w[x]! / total : w[x]!;
      weights[o * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * ONE : 0.5 + v * ONE);
    }
    start[o] = xmin;
    count[o] = xmax;
  }
  return { start, count, weights, ksize };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

function resampleHorizontal(src: Uint8Array, inW: number, h: number, outW: number): Uint8Array {
  const c = coefficients(inW, outW);
  const out = new Uint8Array(outW * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * inW * 3;
    for (let o = 0; o < outW; o++) {
      const s = c.start[o]!;
      const n = c.count[o]!;
      const k = o * c.ksize;
      let r = HALF, g = HALF, b = HALF;
      for (let x = 0; x < n; x++) {
        const p = row + (s + x) * 3;
        const wt = c.weights[k + x]!;
        r += src[p]! * wt;
        g += src[p + 1]! * wt;
        b += src[p + 2]! * wt;
      }
      const q = (y * outW + o) * 3;
      out[q] = clip8(r);
      out[q + 1] = clip8(g);
      out[q + 2] = clip8(b);
    }
  }
  return out;
}

function resampleVertical(src: Uint8Array, w: number, inH: number, outH: number): Uint8Array {
  const c = coefficients(inH, outH);
  const out = new Uint8Array(w * outH * 3);
  for (let o = 0; o < outH; o++) {
    const s = c.start[o]!;
    const n = c.count[o]!;
    const k = o * c.ksize;
    for (let x = 0; x < w * 3; x++) {
      let acc = HALF;
      for (let y = 0; y < n; y++) acc += src[(s + y) * w * 3 + x]! * c.weights[k + y]!;
      out[o * w * 3 + x] = clip8(acc);
    }
  }
  return out;
}

/** Pillow-exact bilinear resize of an RGB image to outW x outH. */
export function resizeBilinear(image: DecodedImage, outW: number, outH: number): DecodedImage {
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
    throw new RangeError(`cannot resize to ${outW}x${outH}`);
  }
  let { data } = image;
  if (outW !== image.width) data = resampleHorizontal(data, image.width, image.height, outW);
  if (outH !== image.height) data = resampleVertical(data, outW, image.height, outH);
  if (data === image.data) data = data.slice();
  return { width: outW, height: outH, data, name: image.name };
}

/** Hugging Face's center_crop: offsets rounded down; the crop must fit inside the image. */
export function centerCrop(image: DecodedImage, outW: number, outH: number): DecodedImage {
  if (outW === image.width && outH === image.height) return image;
  if (outW > image.width || outH > image.height) {
    throw new RangeError(`${image.name ?? 'image'} is ${image.width}x${image.height}, smaller than the ${outW}x${outH} crop`);
  }
  const top = Math.floor((image.height - outH) / 2);
  const left = Math.floor((image.width - outW) / 2);
  const data = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const from = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + outW * 3), y * outW * 3);
  }
  return { width: outW, height: outH, data, name: image.name };
}
