/**
 * The README and docs/ name only what exists: every relative link resolves (and its #anchor is a
 * heading of the page it points to), and every repository path written in backticks is a file
 * or folder of the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pages = ['README.md', 'tools/README.md', 'cli/README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const folders = new Set(tracked.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
/** Made by a run, not tracked: named in the docs as where output lands. */
const GENERATED = new Set(['e2e/screenshots', 'dist', '.cli-build', '.cli-build/main.mjs']);
const TOP = ['src', 'docs', 'tools', 'cli', 'bench', 'e2e', 'shaders', 'public', '.ci'];
const SOURCE = /\.(ts|tsx|mjs|wgsl|py|md)$/;

/** GitHub's anchor for a heading. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchors = (page: string) => readFileSync(join(root, page), 'utf8').match(/^#+ .*$/gm)?.map((h) => slug(h.replace(/^#+ /, ''))) ?? [];

const exists = (path: string) => tracked.includes(path) || folders.has(path) || GENERATED.has(path);

/** A path in backticks: from the root when it starts with a top folder, else (a source file) the end of some tracked path. */
function pathProblem(token: string): string | null {
  const path = token.replace(/\/$/, '');
  if (GENERATED.has(path)) return null;
  if (TOP.some((t) => path === t || path.startsWith(`${t}/`))) return exists(path) ? null : `${token} does not exist`;
  if (path.includes('/') && SOURCE.test(path)) return tracked.some((f) => f.endsWith(`/${path}`)) ? null : `no tracked file ends with ${token}`;
  return null;
}

function problems(page: string): string[] {
  const text = readFileSync(join(root, page), 'utf8');
  const found: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [file, anchor] = target.split('#');
    const resolved = file ? normalize(join(dirname(page), file)) : page;
    if (resolved.startsWith('..') || !existsSync(join(root, resolved))) found.push(`link ${target} does not resolve`);
    else if (anchor && resolved.endsWith('.md') && !anchors(resolved).includes(anchor)) found.push(`link ${target}: no heading #${anchor} in ${relative('.', resolved)}`);
  }
  for (const [, token] of text.matchAll(/`([^`\s<>*{}]+)`/g)) {
    const problem = pathProblem(token);
    if (problem) found.push(problem);
  }
  return found;
}

describe('README.md and docs/', () => {
  it.each(pages)('%s names only paths and headings that exist', (page) => {
    expect(problems(page)).toEqual([]);
  });

  it('the checks catch a stale link, a missing anchor and a stale path', () => {
    expect(pathProblem('src/quant/pipeline.ts')).toBe('src/quant/pipeline.ts does not exist');
    expect(pathProblem('allocation/knapsack.ts')).toBe('no tracked file ends with allocation/knapsack.ts');
    expect(pathProblem('src/quant/pipeline/')).toBeNull();
    expect(slug('The report and the bundle')).toBe('the-report-and-the-bundle');
    expect(anchors('docs/README.md')).toContain('documentation');
  });
});
