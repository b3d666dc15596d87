/** The colour scales of relevance maps, shared by the studio's canvases and the CLI's PNGs. */

export type Rgb = [number, number, number];

const INFERNO: Rgb[] = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164]];
const DIVERGING: Rgb[] = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43]];

function interpolate(stops: Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((v, c) => Math.round(v + (stops[i + 1][c] - v) * f)) as Rgb;
}

/** Relevance, 0 … 1 (inferno). */
export const heat = (t: number) => interpolate(INFERNO, t);
/** A signed difference, −1 … 1: blue for less relevance, red for more. */
export const diverging = (t: number) => interpolate(DIVERGING, (t + 1) / 2);
