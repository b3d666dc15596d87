/**
 * Charts as inline SVG text: no DOM, no fonts or scripts to fetch, so they draw the same in the
 * page, in a saved report opened offline and when the CLI writes the report. Every bar and point
 * carries its figures in a <title> (the browser's tooltip) and in data attributes.
 */
import { escapeHtml } from './format.ts';

export interface BarSeries {
  name: string;
  values: (number | null)[];
  /** One colour for the series, or one per bar. */
  colors: string | string[];
  /** Written above each bar (e.g. its bit width), so no value is carried by colour alone. */
  valueLabels?: string[];
}

export interface BarChartSpec {
  title: string;
  labels: string[];
  series: BarSeries[];
  yTitle: string;
  yMax?: number;
  height?: number;
}

export type Marker = 'circle' | 'square' | 'triangle' | 'star';

export interface LineSeries {
  name: string;
  color: string;
  marker: Marker;
  line: boolean;
  points: { x: number; y: number; note?: string }[];
}

export interface LineChartSpec {
  title: string;
  series: LineSeries[];
  xTitle: string;
  yTitle: string;
  xLog?: boolean;
  yMin?: number;
  yMax?: number;
}

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";
const n = (v: number) => (Math.round(v * 10) / 10).toString();

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks of a log axis: 1, 2 and 5 times each power of ten inside [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(Number(v.toPrecision(12)));
    }
  }
  return ticks;
}

const tickText = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : `${Number(v.toPrecision(4))}`);

/** Inline SVG inside HTML needs no namespace attribute, so the file names no URL at all. */
function frame(width: number, height: number, title: string, body: string[]): string {
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="11">`
    + `<title>${escapeHtml(title)}</title>${body.join('')}</svg>`;
}

function legend(items: { name: string; color: string }[], x: number, y: number): string {
  let at = x;
  return items.map((item) => {
    const text = `<rect x="${n(at)}" y="${y - 9}" width="10" height="10" fill="${item.color}" stroke="#1d2330" stroke-width="0.5"/>`
      + `<text x="${n(at + 14)}" y="${y}" fill="#1d2330">${escapeHtml(item.name)}</text>`;
    at += 24 + item.name.length * 6.2;
    return text;
  }).join('');
}

/** Grouped bars, one group per label (e.g. one per layer), with a value axis on the left. */
export function barChart(spec: BarChartSpec): string {
  const groups = spec.labels.length;
  const perGroup = spec.series.length;
  const longest = Math.min(28, Math.max(4, ...spec.labels.map((l) => l.length)));
  const margin = { left: 52, right: 12, top: perGroup > 1 ? 34 : 18, bottom: 18 + longest * 4.6 };
  const groupWidth = Math.max(12, Math.min(48, 640 / Math.max(1, groups)));
  const width = Math.round(margin.left + margin.right + groups * groupWidth);
  const height = spec.height ?? 300;
  const plotH = height - margin.top - margin.bottom;
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = spec.yMax ?? Math.max(1, ...values) * 1.1;
  const y = (v: number) => margin.top + plotH - (Math.max(0, Math.min(top, v)) / top) * plotH;
  const body: string[] = [];
  for (const t of niceTicks(0, top)) {
    body.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#e4e7ef"/>`);
    body.push(`<text x="${margin.left - 6}" y="${n(y(t) + 4)}" text-anchor="end" fill="#3a4256">${tickText(t)}</text>`);
  }
  body.push(`<text transform="translate(13 ${n(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#3a4256">${escapeHtml(spec.yTitle)}</text>`);
  const barWidth = (groupWidth * 0.8) / perGroup;
  spec.labels.forEach((label, g) => {
    const x0 = margin.left + g * groupWidth + groupWidth * 0.1;
    spec.series.forEach((s, k) => {
      const v = s.values[g];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const color = typeof s.colors === 'string' ? s.colors : s.colors[g] ?? '#9aa3b5';
      const x = x0 + k * barWidth;
      const shown = s.valueLabels?.[g] ?? tickText(v);
      body.push(`<rect class="bar" data-label="${escapeHtml(label)}" data-series="${escapeHtml(s.name)}" data-value="${v}" x="${n(x)}" y="${n(y(v))}" width="${n(Math.max(1, barWidth - 1))}" height="${n(y(0) - y(v))}" fill="${color}" stroke="#1d2330" stroke-width="0.5">`
        + `<title>${escapeHtml(`${label}${perGroup > 1 ? ` (${s.name})` : ''}: ${shown}`)}</title></rect>`);
      if (s.valueLabels) body.push(`<text x="${n(x + barWidth / 2)}" y="${n(y(v) - 3)}" text-anchor="middle" font-size="10" font-weight="600" fill="#1d2330">${escapeHtml(shown)}</text>`);
    });
    const cx = margin.left + (g + 0.5) * groupWidth;
    const short = label.length > longest ? `…${label.slice(-longest + 1)}` : label;
    body.push(`<text transform="translate(${n(cx + 3)} ${n(y(0) + 8)}) rotate(-50)" text-anchor="end" font-size="10" fill="#3a4256">${escapeHtml(short)}</text>`);
  });
  body.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="#3a4256"/>`);
  if (perGroup > 1) body.push(legend(spec.series.map((s) => ({ name: s.name, color: typeof s.colors === 'string' ? s.colors : s.colors[0] ?? '#9aa3b5' })), margin.left, 14));
  return frame(width, height, spec.title, body);
}

function marker(shape: Marker, x: number, y: number, color: string, note: string, value: { x: number; y: number }): string {
  const title = `<title>${escapeHtml(note)}</title>`;
  const attrs = `class="point" data-x="${value.x}" data-y="${value.y}" fill="${color}" stroke="#1d2330" stroke-width="0.8"`;
  if (shape === 'circle') return `<circle ${attrs} cx="${n(x)}" cy="${n(y)}" r="5">${title}</circle>`;
  if (shape === 'square') return `<rect ${attrs} x="${n(x - 4.5)}" y="${n(y - 4.5)}" width="9" height="9">${title}</rect>`;
  const points = shape === 'triangle'
    ? [[0, -6], [5.5, 4], [-5.5, 4]]
    : Array.from({ length: 10 }, (_, i) => {
      const r = i % 2 ? 3.2 : 7.5;
      const a = (Math.PI * i) / 5 - Math.PI / 2;
      return [r * Math.cos(a), r * Math.sin(a)];
    });
  return `<polygon ${attrs} points="${points.map(([dx, dy]) => `${n(x + dx!)},${n(y + dy!)}`).join(' ')}">${title}</polygon>`;
}

/** Points, joined by lines per series when asked; the x axis may be logarithmic (model sizes). */
export function lineChart(spec: LineChartSpec): string {
  const width = 640;
  const height = 340;
  const margin = { left: 56, right: 16, top: 34, bottom: 44 };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => Number.isFinite(v) && (!spec.xLog || v > 0));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  if (!(xMax > xMin)) [xMin, xMax] = spec.xLog ? [xMin / 2, xMax * 2] : [xMin - 1, xMax + 1];
  if (spec.xLog) [xMin, xMax] = [xMin / 1.25, xMax * 1.25];
  const yMin = spec.yMin ?? Math.min(...ys);
  const yMax = spec.yMax ?? Math.max(...ys);
  const fx = (v: number) => (spec.xLog ? (Math.log(v) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin)) : (v - xMin) / (xMax - xMin));
  const px = (v: number) => margin.left + fx(v) * (width - margin.left - margin.right);
  const py = (v: number) => height - margin.bottom - ((v - yMin) / (yMax - yMin || 1)) * (height - margin.top - margin.bottom);
  const body: string[] = [];
  for (const t of niceTicks(yMin, yMax)) {
    body.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${n(py(t))}" y2="${n(py(t))}" stroke="#e4e7ef"/>`);
    body.push(`<text x="${margin.left - 6}" y="${n(py(t) + 4)}" text-anchor="end" fill="#3a4256">${tickText(t)}</text>`);
  }
  for (const t of spec.xLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax)) {
    body.push(`<line x1="${n(px(t))}" x2="${n(px(t))}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#eef0f5"/>`);
    body.push(`<text x="${n(px(t))}" y="${height - margin.bottom + 15}" text-anchor="middle" fill="#3a4256">${tickText(t)}</text>`);
  }
  body.push(`<text x="${n((margin.left + width - margin.right) / 2)}" y="${height - 6}" text-anchor="middle" fill="#3a4256">${escapeHtml(spec.xTitle)}</text>`);
  body.push(`<text transform="translate(14 ${n((margin.top + height - margin.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#3a4256">${escapeHtml(spec.yTitle)}</text>`);
  body.push(`<rect x="${margin.left}" y="${margin.top}" width="${width - margin.left - margin.right}" height="${height - margin.top - margin.bottom}" fill="none" stroke="#3a4256"/>`);
  for (const s of spec.series) {
    const points = [...s.points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (s.line && points.length > 1) {
      body.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.map((p) => `${n(px(p.x))},${n(py(p.y))}`).join(' ')}"/>`);
    }
    for (const p of points) body.push(marker(s.marker, px(p.x), py(p.y), s.color, `${s.name}: ${p.note ?? `${tickText(p.x)}, ${tickText(p.y)}`}`, p));
  }
  body.push(legend(spec.series.map((s) => ({ name: s.name, color: s.color })), margin.left, 16));
  return frame(width, height, spec.title, body);
}
