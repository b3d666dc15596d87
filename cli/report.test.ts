/** The HTML report from the command line: quantize --html, and report R.json / quant_report.json --html. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.ts';

const ROOT = new URL('..', import.meta.url).pathname;

interface Result { code: number; stdout: string; stderr: string }
function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', './cli/register.mjs', 'cli/main.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
/** The report's figures without the moment it was written. */
const timeless = (html: string) => html.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T');
const bars = (html: string) => [...html.matchAll(/class="bar" data-label="([^"]*)" data-series="bits" data-value="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);

describe('report flags', () => {
  it('reads quantize --html and report R.json --html, and says what is missing', () => {
    expect(parseCommandLine(['quantize', 'm.onnx', '--calib', 'c', '--html', 'r.html']).command).toMatchObject({ kind: 'quantize', html: 'r.html', report: undefined, out: undefined });
    expect(parseCommandLine(['report', 'r.json', '--html', 'r.html']).command).toEqual({ kind: 'report', report: 'r.json', html: 'r.html' });
    const usage = (argv: string[]) => {
      try {
        parseCommandLine(argv);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(usage(['report', 'r.json'])).toBe('report needs --html R.html (the page to write)');
    expect(usage(['report', '--html', 'r.html'])).toBe('report needs a saved report (R.json or quant_report.json)');
    expect(usage(['run', 'm.onnx', '--images', 'd', '--html', 'x'])).toBe('--html only applies to the quantize and report commands');
  });
});

describe('cli quantize --html and report --html', () => {
  it('writes one self-contained page with the run\'s charts, tables and hashes, and the same page again from R.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-html-'));
    const [report, onnx, html] = ['r.json', 'q.onnx', 'r.html'].map((f) => join(dir, f));
    const q = await cli('quantize', 'tools/fixtures/vit_tiny_op17.onnx', '--calib', 'tools/fixtures/images', '--eval', 'tools/fixtures/labelled', '--method', 'rtn', '--avg-bits', '8', '--report', report, '--out', onnx, '--html', html);
    expect(q.code).toBe(0);
    expect(q.stderr).toContain(`HTML report written to ${html}`);
    const page = await readFile(html, 'utf8');
    const saved = JSON.parse(await readFile(report, 'utf8'));
    expect(page.match(/https?:|<script|<link|<img|url\(/gi)).toBeNull();
    expect(bars(page)).toEqual(saved.layers.map((l: { name: string; bits: number }) => [l.name, l.bits]));
    expect(bars(page)).toHaveLength(10);
    expect(page).toContain(`${saved.evaluation.fp.auc.toFixed(4)} → ${saved.evaluation.quantized.auc.toFixed(4)}`);
    expect(page).toContain(`<code>${await sha256(join(ROOT, 'tools/fixtures/vit_tiny_op17.onnx'))}</code>`);
    expect(page).toContain(`<code>${await sha256(onnx)}</code>`);
    expect(page).toMatch(/<th scope="row">Run on<\/th><td>Node v\d+/);
    expect(saved.environment.adapter.features).toEqual(expect.any(Array));

    const again = join(dir, 'again.html');
    const r = await cli('report', report, '--html', again);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`note: HTML report written to ${again}\n`);
    expect(timeless(await readFile(again, 'utf8'))).toBe(timeless(page));

    // The bundle's quant_report.json makes the same page, the export named by its hash.
    const bundle = join(dir, 'bundle');
    expect((await cli('export', report, '--out', bundle)).code).toBe(0);
    const fromBundle = join(dir, 'bundle.html');
    expect((await cli('report', join(bundle, 'quant_report.json'), '--html', fromBundle)).code).toBe(0);
    const bundlePage = await readFile(fromBundle, 'utf8');
    expect(bars(bundlePage)).toEqual(bars(page));
    expect(bundlePage).toContain(`<code>${await sha256(join(bundle, 'onnx/model_quantized.onnx'))}</code>`);
  });

  it('refuses a file that is not a report in one line, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-html-bad-'));
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ images: [], logits: [] }));
    const html = join(dir, 'x.html');
    const r = await cli('report', other, '--html', html);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: report file ${other} is neither a quantization report (quantize --report R.json) nor an export report (quant_report.json)\n`);
    await writeFile(other, JSON.stringify({ settings: {}, avgBits: 4, modelBytes: 1, fpBytes: 2, layers: [{ name: 'a' }], timings: {}, completed: [] }));
    const broken = await cli('report', other, '--html', html);
    expect(broken.stderr).toBe(`error: report file ${other}: layer entry 0 (a) is malformed\n`);
    await expect(readFile(html)).rejects.toThrow(/ENOENT/);
  });
});
