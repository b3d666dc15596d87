/**
 * CPU time of the browser's GPU process, for benchmarks on a software adapter (SwiftShader runs
 * every kernel on the CPU, in that process). On a machine shared with other work, wall time
 * measures the neighbours as much as the kernel; the CPU time the GPU process spent does not.
 * Linux only (/proc); null elsewhere. Resolution: one clock tick (10 ms).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields start after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function childrenOf(parent: number): { pid: number; cmdline: string }[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
  const out: { pid: number; cmdline: string }[] = [];
  for (const pid of pids) {
    if (Number(stat(pid)?.[1]) !== parent) continue; // field 4 (ppid) is index 1 after the name
    try {
      out.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
    } catch {
      // gone
    }
  }
  return out;
}

/** The GPU process of a browser this process launched (Playwright spawns it below us), or null. */
export function ourGpuProcess(): number | null {
  let level = childrenOf(process.pid);
  for (let depth = 0; depth < 4 && level.length; depth++) {
    const gpu = level.find((c) => c.cmdline.includes('--type=gpu-process'));
    if (gpu) return gpu.pid;
    level = level.flatMap((c) => childrenOf(c.pid));
  }
  return null;
}

/** User + system CPU milliseconds the process has used so far, or null. */
export function cpuMs(pid: number): number | null {
  const fields = stat(pid);
  if (!fields) return null;
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime and stime: fields 14 and 15
}
