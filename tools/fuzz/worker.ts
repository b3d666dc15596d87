/**
 * A long-lived fuzz worker: runs CLI invocations in-process, one at a time, on one GPU device
 * opened once. For each case it reports the exit code, what the command printed, and its peak
 * resident memory (the kernel's high-water mark, reset before the case).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runCli } from '../../cli/run.ts';
import { openNodeGpu } from '../../cli/node-gpu.ts';

export interface CaseRequest {
  id: number;
  argv: string[];
}

export interface CaseReply {
  id: number;
  code: number;
  stdout: string;
  stderr: string;
  peakMb: number;
  ms: number;
  /** Whether the whole stdout parsed as JSON (it is cut before sending). */
  json: boolean;
}

let gpu: ReturnType<typeof openNodeGpu> | null = null;
const sharedGpu = async () => {
  gpu ??= openNodeGpu();
  const { ctx } = await gpu;
  return { ctx, close() {} };
};

function peakMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

process.on('message', async (req: CaseRequest) => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Without clear_refs the peak is the process's, an upper bound.
  }
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const code = await runCli(req.argv, { stdout: async (t) => void (stdout += t), stderr: async (t) => void (stderr += t) }, { openGpu: sharedGpu });
  const reply: CaseReply = { id: req.id, code, json: parses(stdout), stdout: stdout.slice(0, 4000), stderr: stderr.slice(0, 4000), peakMb: peakMb(), ms: performance.now() - started };
  process.send!(reply);
});
/** Every fixture run once before the first case: shader compilation is not charged to a case's time. */
async function warmUp(): Promise<void> {
  const quiet = { stdout: async () => {}, stderr: async () => {} };
  for (const model of (process.env.FUZZ_WARM_UP ?? '').split(',').filter(Boolean)) {
    await runCli(['run', model, '--images', 'tools/fixtures/images', '--json'], quiet, { openGpu: sharedGpu });
  }
}

void warmUp().then(() => process.send!({ ready: true }));
process.on('disconnect', () => process.exit(0));
