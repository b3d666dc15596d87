import { useEffect, useRef } from 'react';
import type { RgbaImage } from '../../worker/analysis-api.ts';
import { diverging, gradientCss, heat } from './colors.ts';

const SIZE = 208;

export interface MapScale {
  kind: 'attention' | 'difference';
  /** Attention maps share 0 … max; differences −max … max. */
  max: number;
}

/** The image as the model saw it, with one value per patch drawn over it. */
export function AttentionCanvas({ image, map, rows, cols, scale, label }: { image: RgbaImage; map: Float32Array | null; rows: number; cols: number; scale: MapScale; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current!.getContext('2d')!;
    const picture = new OffscreenCanvas(image.width, image.height);
    picture.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
    ctx.clearRect(0, 0, SIZE, SIZE);
    ctx.imageSmoothingEnabled = true;
    ctx.globalAlpha = scale.kind === 'attention' || !map ? 1 : 0.45;
    ctx.drawImage(picture, 0, 0, SIZE, SIZE);
    ctx.globalAlpha = 1;
    if (!map) return;
    ctx.globalAlpha = scale.kind === 'attention' ? 0.6 : 0.85;
    const w = SIZE / cols;
    const h = SIZE / rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = map[r * cols + c];
        const rgb = scale.kind === 'attention' ? heat(v / (scale.max || 1)) : diverging(v / (scale.max || 1));
        ctx.fillStyle = `rgb(${rgb.join(',')})`;
        ctx.fillRect(c * w, r * h, Math.ceil(w), Math.ceil(h));
      }
    }
    ctx.globalAlpha = 1;
  }, [image, map, rows, cols, scale.kind, scale.max]);
  return <canvas ref={canvas} width={SIZE} height={SIZE} className="attention-canvas" role="img" aria-label={label} />;
}

/** The colour scale of a map, with its end values written out. */
export function ScaleBar({ scale }: { scale: MapScale }) {
  const attention = scale.kind === 'attention';
  const fmt = (v: number) => (Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(1) : v.toFixed(3));
  return (
    <div className="scale-bar">
      <span className="scale-gradient" style={{ background: attention ? gradientCss(heat, 0, 1) : gradientCss(diverging, -1, 1) }} aria-hidden="true" />
      <span className="scale-ends">
        <span>{attention ? '0' : `${fmt(-scale.max)} less`}</span>
        {!attention && <span>0</span>}
        <span>{attention ? fmt(scale.max) : `+${fmt(scale.max)} more`}</span>
      </span>
    </div>
  );
}
