/** Runs bench/<name>.html in headless Chromium (bench/page-runner.ts): `node --import tsx bench/run.ts NAME [key=value ...]`. */
import { runBenchPage } from './page-runner.ts';

const name = process.argv[2] ?? 'matmul';
const query = process.argv.slice(3).join('&');
process.exit(await runBenchPage(name, query));
