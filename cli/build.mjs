// `npm run cli` runs the command line from one bundled file, .cli-build/main.mjs, that this script
// builds from cli/main.ts (about half a second, every time, so it is never stale). Without a
// TypeScript loader in the process (tsx runs its hooks in a second V8 isolate) a run holds about
// 50 MB less and starts in a quarter of the time (docs/large-models.md). The bundle sits one folder
// below the root, as cli/ does, so paths relative to a module (../package.json) stay true.
// `node --import ./cli/register.mjs cli/main.ts` still runs the sources as they are.
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cli-build', 'main.mjs');

/** Vite-style `?raw` imports (the WGSL kernels) as text, as cli/raw-hooks.mjs does for the sources. */
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text' }));
  },
};

const result = await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: out,
  write: false,
  logLevel: 'warning',
  plugins: [rawText],
});
// Written whole, then renamed: two runs starting at once never import half a file.
mkdirSync(dirname(out), { recursive: true });
const partial = `${out}.${process.pid}.tmp`;
writeFileSync(partial, result.outputFiles[0].contents);
renameSync(partial, out);
