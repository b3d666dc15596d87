/**
 * One CLI invocation, in-process: parse, execute, print. cli/main.ts calls it and exits; the fuzz
 * harness (tools/fuzz) calls it in long-lived workers with its own streams and GPU.
 */
import { decodeImageNode } from '../src/data/decode-node.ts';
import { terminalSafe } from '../src/onnx/names.ts';
import { parseCommandLine } from './args.ts';
import { execute, type CliDeps } from './commands.ts';
import { core } from './core.ts';
import { describeFailure } from './errors.ts';
import { openNodeGpu } from './node-gpu.ts';

export interface CliStreams {
  stdout: (text: string) => Promise<void>;
  stderr: (text: string) => Promise<void>;
}

/**
 * Runs one command; returns its exit code. Output is printed only when the command has finished
 * (never half a result); a failure is one `error:` line. Anything a library logs goes to stderr,
 * so stdout holds the command's output alone (--json stays parseable).
 */
export async function runCli(argv: string[], streams: CliStreams, deps: Partial<Pick<CliDeps, 'openGpu' | 'decodeImage'>> = {}): Promise<number> {
  const debug = argv.includes('--debug');
  let stdout = '';
  const notes: string[] = [];
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = console.error;
  try {
    const { command } = parseCommandLine(argv);
    const code = await execute(command, {
      core,
      decodeImage: deps.decodeImage ?? decodeImageNode,
      openGpu: deps.openGpu ?? openNodeGpu,
      out: (text) => (stdout += text),
      // DEFAKEQ_PROGRESS=1 prints notes as they come (hours-long runs on large models); else with the result.
      note: (text) => (process.env.DEFAKEQ_PROGRESS ? process.stderr.write(`note: ${terminalSafe(text)}\n`) : notes.push(`note: ${terminalSafe(text)}\n`)),
    });
    // Notes only with a result: a failure stays one line.
    await streams.stderr(notes.join(''));
    await streams.stdout('json' in command && command.json ? stdout : terminalSafe(stdout));
    return code;
  } catch (e) {
    const failure = describeFailure(e);
    await streams.stderr(debug && e instanceof Error && e.stack ? `${failure.line}\n${e.stack}\n` : `${failure.line}\n`);
    return failure.exitCode;
  } finally {
    Object.assign(console, saved);
  }
}
