import { useEffect, useRef } from 'react';
import { colourOf, type HeatScale } from '../../explain/heatmap.ts';
import type { RelevanceMap } from '../../explain/maps.ts';
import type { RgbaImage } from '../../worker/analysis-api.ts';
import { diverging, gradientCss, heat } from './colors.ts';

const SIZE = 208;

/**
 * The image as the model saw it, with one value per patch drawn over it. Cells are placed by
 * their size in input pixels, so a grid padded past the image (Hugging Face Swin) is cut at its edge.
 */
export function AttentionCanvas({ image, map, scale, label }: { image: RgbaImage; map: RelevanceMap | null; scale: HeatScale; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current!.getContext('2d')!;
    const picture = new OffscreenCanvas(image.width, image.height);
    picture.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
    ctx.clearRect(0, 0, SIZE, SIZE);
    ctx.imageSmoothingEnabled = true;
    ctx.globalAlpha = scale.kind === 'relevance' || !map ? 1 : 0.45;
    ctx.drawImage(picture, 0, 0, SIZE, SIZE);
    ctx.globalAlpha = 1;
    if (!map) return;
    ctx.globalAlpha = scale.kind === 'relevance' ? 0.6 : 0.85;
    const w = (map.cellWidth * SIZE) / image.width;
    const h = (map.cellHeight * SIZE) / image.height;
    for (let r = 0; r < map.rows; r++) {
      for (let c = 0; c < map.cols; c++) {
        ctx.fillStyle = `rgb(${colourOf(map.values[r * map.cols + c], scale).join(',')})`;
        ctx.fillRect(c * w, r * h, Math.ceil(w), Math.ceil(h));
      }
    }
    ctx.globalAlpha = 1;
  }, [image, map, scale]);
  return <canvas ref={canvas} width={SIZE} height={SIZE} className="attention-canvas" role="img" aria-label={label} />;
}

/** The colour scale of a map, with its end values written out. */
export function ScaleBar({ scale }: { scale: HeatScale }) {
  const relevance = scale.kind === 'relevance';
  // Enough digits that the two ends of a narrow scale read differently.
  const digits = relevance ? Math.min(6, Math.max(3, 1 - Math.floor(Math.log10(Math.max(1e-12, scale.high - scale.low))))) : 3;
  const fmt = (v: number) => (Math.abs(v) < 0.01 && v !== 0 && digits <= 3 ? v.toExponential(1) : v.toFixed(digits));
  return (
    <div className="scale-bar">
      <span className="scale-gradient" style={{ background: relevance ? gradientCss(heat, 0, 1) : gradientCss(diverging, -1, 1) }} aria-hidden="true" />
      <span className="scale-ends">
        {relevance ? <span>{fmt(scale.low)}</span> : <span>{fmt(-scale.max)} less</span>}
        {!relevance && <span>0</span>}
        {relevance ? <span>{fmt(scale.high)}</span> : <span>+{fmt(scale.max)} more</span>}
      </span>
    </div>
  );
}
