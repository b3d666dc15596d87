// Node module hooks for Vite's `?raw` imports (`import src from './x.wgsl?raw'`): the file's text
// becomes the module's default export. Registered by register.mjs.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const RAW = '?raw';

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith(RAW)) return nextResolve(specifier, context);
  const { url } = await nextResolve(specifier.slice(0, -RAW.length), context);
  return { url: url + RAW, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith(RAW)) return nextLoad(url, context);
  const text = await readFile(fileURLToPath(url.slice(0, -RAW.length)), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
