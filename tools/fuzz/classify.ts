/** How one fuzz case ended: an answer (a result or one clean error line), or a failure class. */
import type { CaseReply } from './worker.ts';

export type OutcomeKind = 'ok' | 'clean-error' | 'crash' | 'hang' | 'memory' | 'stack-trace' | 'unexpected' | 'unclean-output';

/** The classes the harness must never see. */
export const FAILURES: OutcomeKind[] = ['crash', 'hang', 'memory', 'stack-trace', 'unexpected', 'unclean-output'];

export interface Outcome {
  kind: OutcomeKind;
  detail: string;
  peakMb: number;
  /** How long the worker took, when it answered. */
  ms?: number;
}

export interface RawResult {
  reply?: CaseReply;
  died?: string;
  hung?: boolean;
  memory?: boolean;
  /** What the worker process itself wrote outside the CLI's streams. */
  leaked: string;
  peakRssMb: number;
  json: boolean;
}

const MEMORY_LIMIT_MB = 1536;
const STACK = /^\s+at .+(\(|:\d+:\d+)/m;

export function classify(r: RawResult): Outcome {
  return { ...classifyRaw(r), ms: r.reply?.ms };
}

function classifyRaw(r: RawResult): Outcome {
  const peakMb = Math.max(r.peakRssMb, r.reply?.peakMb ?? 0);
  if (r.memory) return { kind: 'memory', detail: `RSS above ${MEMORY_LIMIT_MB} MB`, peakMb };
  if (r.hung) return { kind: 'hang', detail: 'no answer before the timeout', peakMb };
  if (!r.reply) return { kind: 'crash', detail: `worker died: ${r.died}\n${r.leaked.slice(-3000)}`, peakMb };
  const { code, stdout, stderr } = r.reply;
  const detail = `exit ${code}\nstdout: ${stdout.slice(0, 500)}\nstderr: ${stderr}\nleaked: ${r.leaked.slice(0, 1000)}`;
  if (peakMb > MEMORY_LIMIT_MB) return { kind: 'memory', detail, peakMb };
  if (STACK.test(stderr) || STACK.test(r.leaked)) return { kind: 'stack-trace', detail, peakMb };
  if (stderr.includes('(unexpected;')) return { kind: 'unexpected', detail, peakMb };
  if (code === 0) {
    if (r.json && !r.reply.json) return { kind: 'unclean-output', detail, peakMb };
    return { kind: 'ok', detail, peakMb };
  }
  const lines = stderr.trimEnd().split('\n');
  if ((code === 1 || code === 2) && lines.length === 1 && lines[0]!.startsWith('error: ') && stdout === '') return { kind: 'clean-error', detail, peakMb };
  return { kind: 'unclean-output', detail, peakMb };
}
