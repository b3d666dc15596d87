// ESLint: the layering of the code, import cycles, and rules that catch real faults.
// `npm run lint`. Formatting is Prettier's job (`npm run format:check`), not ESLint's.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/** The layers of src/, low to high: a layer may import itself and the layers before it, never one after. */
export const LAYERS = ['gpu', 'onnx', 'data', 'model', 'storage', 'engine', 'grad', 'quant', 'explain', 'export', 'report', 'worker', 'store', 'ui'];
/** On top of src/: the command line, then what drives the product from outside (these may import cli/, not each other). */
const TOP = ['bench', 'tools', 'e2e'];

// A folder of src/ outside the order would escape the rule: name it there first.
const unplaced = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true }).filter((e) => e.isDirectory() && !LAYERS.includes(e.name));
if (unplaced.length) throw new Error(`eslint.config.js: place src/${unplaced[0].name} in LAYERS, the layer order`);

const order = `${LAYERS.join(' < ')} < cli < ${TOP.join(', ')}`;

/** One import-x/no-restricted-paths zone per layer: nothing in it imports from anything above it. */
function layerZones() {
  const above = (i) => [...LAYERS.slice(i + 1).map((l) => `./src/${l}`), './src/main.tsx', './cli', ...TOP.map((t) => `./${t}`)];
  const zones = LAYERS.map((layer, i) => ({
    target: `./src/${layer}`,
    from: above(i),
    message: `src/${layer} is below what it imports (layers: ${order}).`,
  }));
  zones.push({ target: './cli', from: TOP.map((t) => `./${t}`), message: `cli/ is below what it imports (layers: ${order}).` });
  for (const top of TOP) {
    zones.push({ target: `./${top}`, from: TOP.filter((t) => t !== top).map((t) => `./${t}`), message: `${top}/ does not import its peers ${TOP.filter((t) => t !== top).join(', ')}.` });
  }
  return zones;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'tmp/', 'public/', 'e2e/screenshots/', '.bench-export/', '.cli-build/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts,js,mjs}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones() }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Binary formats and one-line messages strip control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    // Type-aware rules for the product's code and the browser tests: a promise nobody awaits loses
    // its error (in a test, an assertion left without await races the test's end).
    files: ['src/**/*.{ts,tsx}', 'e2e/**/*.ts', 'e2e-large/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
    },
  },
  {
    // Small modules: a newcomer reads a file in one sitting (tests and benchmarks tables aside).
    files: ['{src,cli,bench,tools}/**/*.{ts,tsx}'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['src/quant/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },
  {
    files: ['src/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
);
