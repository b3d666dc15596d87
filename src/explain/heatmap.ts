/**
 * A relevance map drawn over the image it explains, at the image's own size: each pixel is traced
 * through the preprocessing's resize and crop to the model's input, and from there to its patch.
 * Pixels the crop cut away are shown greyed, with no colour.
 */
import type { DecodedImage } from '../data/decode.ts';
import type { FitGeometry } from '../data/preprocess.ts';
import { diverging, heat } from './colormap.ts';
import type { RelevanceMap } from './maps.ts';

/** Relevance from its lowest to its highest value (inferno), or a difference on −max … max (blue to red). */
export type HeatScale = { kind: 'relevance'; low: number; high: number } | { kind: 'difference'; max: number };

/** One relevance scale for several maps (FP and quantized side by side): their lowest to highest value. */
export function relevanceScale(...maps: RelevanceMap[]): HeatScale & { kind: 'relevance' } {
  let low = Infinity;
  let high = -Infinity;
  for (const m of maps) for (const v of m.values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  if (!(high > low)) return { kind: 'relevance', low: Math.min(0, low), high: Math.max(low, 0) + 1e-12 };
  return { kind: 'relevance', low, high };
}

/** A symmetric scale for a difference map: ± its largest |value|. */
export function differenceScale(map: RelevanceMap): HeatScale & { kind: 'difference' } {
  let max = 1e-12;
  for (const v of map.values) max = Math.max(max, Math.abs(v));
  return { kind: 'difference', max };
}

/** The colour of one value on a scale. */
export function colourOf(value: number, scale: HeatScale): [number, number, number] {
  return scale.kind === 'relevance' ? heat((value - scale.low) / (scale.high - scale.low)) : diverging(value / scale.max);
}

/**
 * RGBA pixels of `image` (the decoded original) with `map` over it. `geometry`: where the image
 * went in preprocessing (fitGeometry); `input`: the model's input [height, width].
 */
export function renderHeatmap(image: DecodedImage, map: RelevanceMap, geometry: FitGeometry, input: [number, number], scale: HeatScale): Uint8Array {
  const { width, height } = image;
  const out = new Uint8Array(width * height * 4);
  const alpha = scale.kind === 'relevance' ? 0.6 : 0.85;
  for (let y = 0; y < height; y++) {
    const my = Math.floor(((y + 0.5) * geometry.height) / height) - geometry.top;
    const row = Math.min(map.rows - 1, Math.floor(my / map.cellHeight));
    for (let x = 0; x < width; x++) {
      const mx = Math.floor(((x + 0.5) * geometry.width) / width) - geometry.left;
      const at = (y * width + x) * 3;
      const o = (y * width + x) * 4;
      out[o + 3] = 255;
      if (my < 0 || my >= input[0] || mx < 0 || mx >= input[1]) {
        const grey = (image.data[at] + image.data[at + 1] + image.data[at + 2]) / 6 + 64;
        out.fill(Math.round(grey), o, o + 3);
        continue;
      }
      const rgb = colourOf(map.values[row * map.cols + Math.min(map.cols - 1, Math.floor(mx / map.cellWidth))], scale);
      for (let c = 0; c < 3; c++) out[o + c] = Math.round((1 - alpha) * image.data[at + c] + alpha * rgb[c]);
    }
  }
  return out;
}
