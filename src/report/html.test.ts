import { describe, expect, it } from 'vitest';
import { renderReportHtml } from './html.ts';
import { logTicks, niceTicks } from './svg.ts';
import { knownReportInput } from './testing.ts';

/** Every attribute value that would make a browser fetch something, and every fetch in CSS. */
function externalReferences(html: string): string[] {
  const refs = [...html.matchAll(/\b(?:src|href|srcset|action|poster|data|xlink:href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
  const css = [...html.matchAll(/url\(|@import/gi)].map((m) => m[0]);
  return [...refs, ...css, ...(html.match(/https?:\/\//g) ?? [])];
}

describe('the HTML report', () => {
  const html = renderReportHtml(knownReportInput());

  it('references nothing outside itself: no scripts, links, URLs, fonts or images to fetch', () => {
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@font-face/i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('holds the charts: bits per layer, SQNR per layer and the sweep, with their figures', () => {
    expect(html.match(/<svg /g)).toHaveLength(4);
    const bits = html.slice(html.indexOf('aria-label="Bits per layer for 3 layers"'));
    const bars = [...bits.slice(0, bits.indexOf('</svg>')).matchAll(/class="bar" data-label="([^"]*)" data-series="bits" data-value="([\d.]+)"/g)];
    expect(bars.map((b) => [b[1], Number(b[2])])).toEqual([['patch_embed.proj', 8], ['blocks.0.attn.qkv', 2], ['head&lt;script&gt;alert(1)&lt;/script&gt;', 4]]);
    expect(html).toContain('aria-label="SQNR per layer for 2 layers"');
    // The sweep's points at their sizes (KiB) and accuracies, with FP32 as a star.
    const accuracy = html.slice(html.indexOf('aria-label="Model size against accuracy'));
    const points = [...accuracy.slice(0, accuracy.indexOf('</svg>')).matchAll(/class="point" data-x="([\d.e-]+)" data-y="([\d.e-]+)"/g)].map((m) => [Number(m[1]).toFixed(2), Number(m[2])]);
    expect(points).toEqual(expect.arrayContaining([['13.67', 0.875], ['13.67', 0.9], ['13.57', 0.906], ['96.45', 0.9375]]));
    expect(points).toHaveLength(4);
  });

  it('holds the tables: evaluation, layers, settings, export checks, hashes and environment', () => {
    expect(html).toContain('0.9727 → 0.9609');
    expect(html).toContain('−0.0118 ± 0.0081, within chance');
    expect(html).toContain('93.8% → 90.6%');
    expect(html).toMatch(/<th scope="row">Same prediction as FP32<\/th><td>–<\/td><td>96\.9%<\/td>/);
    expect(html).toContain('<th scope="row">iters</th><td>100</td>');
    expect(html).toContain('<th scope="row">candidates</th><td>2, 3, 4, 6, 8</td>');
    expect(html).toContain(`<code>${'ab'.repeat(32)}</code>`);
    expect(html).toContain(`<code>${'cd'.repeat(32)}</code>`);
    expect(html).toContain('<td>1.50e-6</td><td>100.0%</td><td>0.9609</td><td>0.42</td>');
    expect(html).toContain('SwiftShader Device (Subzero), google swiftshader (software, on the CPU)');
    expect(html).toContain('<th scope="row">onnxruntime-web</th><td>1.30.0</td>');
    // 12,345 bytes of weights are 12.1 KiB, 12.5% of FP32; the file is 22.9 KiB, 23.7%.
    expect(html).toContain('12.1 KiB <span class="note">(12.5% of FP32)</span>');
    expect(html).toContain('22.9 KiB <span class="note">(23.7% of the FP32 file)</span>');
    expect(html).toContain('no width fits 2 bits');
  });

  it('escapes names from the user\'s files everywhere', () => {
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('head&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says what is missing rather than showing empty sections', () => {
    const input = knownReportInput();
    const bare = renderReportHtml({ ...input, export: null, sweep: null, environment: null, quantization: { ...input.quantization, evaluation: null, cancelled: true, completed: ['calibrate'] } });
    expect(bare).toContain('No labelled evaluation set was given');
    expect(bare).toContain('Cancelled: the report holds the stages that finished (calibrate)');
    expect(bare).toContain('<th scope="row">Run on</th><td>not recorded</td>');
    expect(bare.match(/<svg /g)).toHaveLength(2);
    expect(externalReferences(bare)).toEqual([]);
  });
});

describe('chart axes', () => {
  it('pick round ticks', () => {
    expect(niceTicks(0, 9)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(logTicks(9, 120)).toEqual([10, 20, 50, 100]);
  });
});
