/** Colours of the results views. Every colour also has a text label next to it. */
import { diverging, heat, type Rgb } from '../../explain/colormap.ts';

export { diverging, heat };

export { bitColor, METHOD_COLORS, METHOD_LABELS, METHOD_POINTS } from '../../report/palette.ts';

export function gradientCss(map: (t: number) => Rgb, from: number, to: number): string {
  const stops = Array.from({ length: 9 }, (_, i) => `rgb(${map(from + ((to - from) * i) / 8).join(',')})`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
