// `node --import ./cli/register.mjs cli/main.ts`: TypeScript through tsx, plus Vite-style `?raw`
// imports. Hooks registered later run first, so `?raw` is resolved before tsx sees it.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./raw-hooks.mjs', import.meta.url);
