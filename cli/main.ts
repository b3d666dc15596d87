/**
 * Headless entry: `node --import ./cli/register.mjs cli/main.ts <command>` (npm run cli -- ...).
 * Errors end as one `error: ...` line on stderr (exit 1; usage errors 2); --debug adds the stack.
 */
import { runCli } from './run.ts';

const write = (stream: NodeJS.WriteStream) => (text: string) =>
  new Promise<void>((done) => (text ? stream.write(text, () => done()) : done()));

// Dawn keeps native handles open, so leave explicitly once the output is flushed.
runCli(process.argv.slice(2), { stdout: write(process.stdout), stderr: write(process.stderr) }).then((code) => process.exit(code), () => process.exit(1));
