/**
 * Decoded images → a normalised float32 NCHW batch, the way Hugging Face image processors
 * (ViTImageProcessor, DeiTImageProcessor) do it: RGB uint8 → Pillow bilinear resize → optional
 * center crop → × rescale (1/255) → (x − mean) / std → channels first.
 */
import type { DecodedImage } from './decode.ts';
import { centerCrop, resizeBilinear } from './resize.ts';

export type Rgb = [number, number, number];

/** Where resizing goes before the optional crop. */
export type ResizeTarget = { height: number; width: number } | { shortestEdge: number };

export interface PreprocessOptions {
  /** Output [height, width]: the model's input size. */
  size: [number, number];
  mean: Rgb;
  std: Rgb;
  /** Multiplies the 0-255 values; default 1/255. */
  rescale?: number;
  /** Resize (default true). When false every image must already be `size`. */
  resize?: boolean;
  /** Resize to this first, then center-crop to `size` (DeiT: 256 then crop 224). Default: `size`. */
  resizeTo?: ResizeTarget;
}

export class ImageSizeError extends Error {
  override name = 'ImageSizeError';
}

/** The defaults of Hugging Face's ViTImageProcessor (mean = std = 0.5, 224x224, rescale 1/255). */
export const VIT_DEFAULTS = { mean: [0.5, 0.5, 0.5] as Rgb, std: [0.5, 0.5, 0.5] as Rgb, size: 224, rescale: 1 / 255 };

/** The mean/std timm and torchvision use for ImageNet models (e.g. DeiT). */
export const IMAGENET_MEAN: Rgb = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Rgb = [0.229, 0.224, 0.225];

/** HF get_resize_output_image_size with default_to_square=False: short side to S, long side truncated. */
function shortestEdgeSize(width: number, height: number, edge: number): [number, number] {
  if (width <= height) return [edge, Math.trunc((edge * height) / width)];
  return [Math.trunc((edge * width) / height), edge];
}

/** Where an image of this size lands: resized to width × height, then the model's input cut at (left, top). */
export interface FitGeometry {
  width: number;
  height: number;
  left: number;
  top: number;
}

/** The resize and crop fitImage applies to a width × height image (no resizing: the image as it is). */
export function fitGeometry(width: number, height: number, opts: PreprocessOptions): FitGeometry {
  const [h, w] = opts.size;
  if (opts.resize === false) return { width, height, left: 0, top: 0 };
  const target = opts.resizeTo ?? { height: h, width: w };
  const [rw, rh] = 'shortestEdge' in target ? shortestEdgeSize(width, height, target.shortestEdge) : [target.width, target.height];
  // As centerCrop: offsets rounded down.
  return { width: rw, height: rh, left: Math.floor((rw - w) / 2), top: Math.floor((rh - h) / 2) };
}

/** One image resized/cropped to exactly `size` (RGB uint8); throws ImageSizeError when it cannot be. */
export function fitImage(image: DecodedImage, opts: PreprocessOptions): DecodedImage {
  const [h, w] = opts.size;
  const name = image.name ?? 'an image';
  if (opts.resize === false) {
    if (image.width !== w || image.height !== h) {
      throw new ImageSizeError(`${name} is ${image.width}x${image.height} but the model takes ${w}x${h}; pass --size or enable resizing`);
    }
    return image;
  }
  const { width: rw, height: rh } = fitGeometry(image.width, image.height, opts);
  const resized = resizeBilinear(image, rw, rh);
  if (rw < w || rh < h) {
    throw new ImageSizeError(`${name} resized to ${rw}x${rh} is smaller than the model's ${w}x${h} input`);
  }
  return centerCrop(resized, w, h);
}

function checkOptions(opts: PreprocessOptions): void {
  const [h, w] = opts.size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new RangeError(`image size must be positive integers, got ${h}x${w}`);
  for (const [label, v] of [['mean', opts.mean], ['std', opts.std]] as const) {
    if (v.length !== 3 || !v.every(Number.isFinite)) throw new RangeError(`${label} must be three finite numbers, got ${v.join(',')}`);
  }
  if (opts.std.some((s) => s === 0)) throw new RangeError(`std must not contain zero, got ${opts.std.join(',')}`);
}

/** Writes one fitted image into `out` at batch index `n` (planar R, G, B). */
function writePlanes(image: DecodedImage, out: Float32Array, n: number, opts: PreprocessOptions): void {
  const plane = image.width * image.height;
  const scale = opts.rescale ?? 1 / 255;
  const base = n * 3 * plane;
  for (let c = 0; c < 3; c++) {
    const mean = opts.mean[c]!;
    const std = opts.std[c]!;
    const dst = base + c * plane;
    for (let i = 0; i < plane; i++) out[dst + i] = (image.data[3 * i + c]! * scale - mean) / std;
  }
}

/** A float32 [N, 3, H, W] batch. */
export function preprocess(images: DecodedImage[], opts: PreprocessOptions): Float32Array {
  checkOptions(opts);
  const [h, w] = opts.size;
  const out = new Float32Array(images.length * 3 * h * w);
  images.forEach((image, n) => writePlanes(fitImage(image, opts), out, n, opts));
  return out;
}

export class PreprocessorConfigError extends Error {
  override name = 'PreprocessorConfigError';
}

function numbers(v: unknown, field: string, file: string): number[] {
  const list = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(list) || list.length !== 3 || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new PreprocessorConfigError(`${file}: ${field} must be a number or three numbers, got ${JSON.stringify(v)}`);
  }
  return list;
}

function positiveInt(v: unknown, field: string, file: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new PreprocessorConfigError(`${file}: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** HF `size` / `crop_size`: an int, {height, width}, or {shortest_edge}. */
function parseSize(v: unknown, field: string, file: string): ResizeTarget {
  if (typeof v === 'number') return { height: positiveInt(v, field, file), width: v };
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('height' in o || 'width' in o) return { height: positiveInt(o.height, `${field}.height`, file), width: positiveInt(o.width, `${field}.width`, file) };
    if ('shortest_edge' in o) return { shortestEdge: positiveInt(o.shortest_edge, `${field}.shortest_edge`, file) };
  }
  throw new PreprocessorConfigError(`${file}: ${field} must be an integer, {height, width} or {shortest_edge}, got ${JSON.stringify(v)}`);
}

const flag = (o: Record<string, unknown>, key: string, fallback: boolean) => (typeof o[key] === 'boolean' ? (o[key] as boolean) : fallback);

/**
 * Reads a Hugging Face preprocessor_config.json (already parsed). Missing fields take
 * ViTImageProcessor's defaults: resize to 224x224, rescale 1/255, normalise with mean = std = 0.5.
 * `do_normalize: false` becomes mean 0 / std 1, `do_rescale: false` a factor of 1.
 * `size: {shortest_edge: S}` without a center crop is resized so the short side is S and then
 * cropped to S×S (HF would keep the aspect ratio, which no fixed-size model accepts).
 */
export function preprocessorFromConfig(json: unknown, file = 'preprocessor_config.json'): PreprocessOptions {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new PreprocessorConfigError(`${file} must hold a JSON object`);
  const o = json as Record<string, unknown>;
  const resizeTo = o.size === undefined ? { height: VIT_DEFAULTS.size, width: VIT_DEFAULTS.size } : parseSize(o.size, 'size', file);
  const crop = flag(o, 'do_center_crop', false) && o.crop_size !== undefined ? parseSize(o.crop_size, 'crop_size', file) : null;
  if (crop && 'shortestEdge' in crop) throw new PreprocessorConfigError(`${file}: crop_size must be {height, width} or an integer`);
  const square = 'shortestEdge' in resizeTo ? resizeTo.shortestEdge : null;
  const size: [number, number] = crop ? [crop.height, crop.width] : square !== null ? [square, square] : [(resizeTo as { height: number }).height, (resizeTo as { width: number }).width];
  const normalize = flag(o, 'do_normalize', true);
  const rescaleFactor = o.rescale_factor === undefined ? VIT_DEFAULTS.rescale : o.rescale_factor;
  if (typeof rescaleFactor !== 'number' || !(rescaleFactor > 0)) throw new PreprocessorConfigError(`${file}: rescale_factor must be a positive number, got ${JSON.stringify(rescaleFactor)}`);
  const opts: PreprocessOptions = {
    size,
    mean: normalize ? (numbers(o.image_mean ?? VIT_DEFAULTS.mean, 'image_mean', file) as Rgb) : [0, 0, 0],
    std: normalize ? (numbers(o.image_std ?? VIT_DEFAULTS.std, 'image_std', file) as Rgb) : [1, 1, 1],
    rescale: flag(o, 'do_rescale', true) ? rescaleFactor : 1,
    resize: flag(o, 'do_resize', true),
  };
  if (opts.resize && (crop || square !== null)) opts.resizeTo = resizeTo;
  return opts;
}
