/**
 * Headless entry: `node --import ./cli/register.mjs cli/main.ts <command>` (npm run cli -- ...).
 * Errors end as one `error: ...` line on stderr (exit 1; usage errors 2); --debug adds the stack.
 */
import { decodeImageNode } from '../src/data/decode-node.ts';
import { parseCommandLine } from './args.ts';
import { execute } from './commands.ts';
import { core } from './core.ts';
import { describeFailure } from './errors.ts';
import { openNodeGpu } from './node-gpu.ts';

const write = (stream: NodeJS.WriteStream, text: string) =>
  new Promise<void>((done) => (text ? stream.write(text, () => done()) : done()));

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let stdout = '';
  const notes: string[] = [];
  try {
    const { command } = parseCommandLine(argv);
    // Output is printed only when the command has finished: never half a result.
    const code = await execute(command, {
      core,
      decodeImage: decodeImageNode,
      openGpu: openNodeGpu,
      out: (text) => (stdout += text),
      // DEFAKEQ_PROGRESS=1 prints notes as they come (hours-long runs on large models); else with the result.
      note: (text) => (process.env.DEFAKEQ_PROGRESS ? process.stderr.write(`note: ${text}\n`) : notes.push(`note: ${text}\n`)),
    });
    // Notes only with a result: a failure stays one line.
    await write(process.stderr, notes.join(''));
    await write(process.stdout, stdout);
    return code;
  } catch (e) {
    const failure = describeFailure(e);
    await write(process.stderr, debug && e instanceof Error && e.stack ? `${failure.line}\n${e.stack}\n` : `${failure.line}\n`);
    return failure.exitCode;
  }
}

// Dawn keeps native handles open, so leave explicitly once the output is flushed.
main(process.argv.slice(2)).then((code) => process.exit(code), () => process.exit(1));
