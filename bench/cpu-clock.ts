/**
 * Kernel timing for benchmark pages. With bench/run.ts on Linux the clock is the CPU time of the
 * browser's GPU process (where SwiftShader runs kernels), which other work on a shared machine does
 * not inflate; otherwise wall time. Runners take turns, each run repeated until a turn lasts long
 * enough for the clock's 10 ms ticks, and a runner's time is its total over its total runs.
 */
declare global {
  interface Window { benchGpuCpuMs?: () => Promise<number | null> }
}

export interface Runner {
  run: () => Promise<void>;
}

async function cpuNow(): Promise<number | null> {
  return window.benchGpuCpuMs ? window.benchGpuCpuMs() : null;
}

export async function clockName(): Promise<string> {
  return (await cpuNow()) === null ? 'wall time' : 'CPU time of the GPU process';
}

/** Milliseconds per run of each runner. */
export async function msPerRun(runners: Runner[], options: { warmup?: number; turns?: number; minTurnMs?: number } = {}): Promise<number[]> {
  const { warmup = 1, turns = 5, minTurnMs = 300 } = options;
  const cpu = (await cpuNow()) !== null;
  const now = async () => (cpu ? (await cpuNow())! : performance.now());
  // How many runs make a turn: from one timed run (after the warm-up) of each runner.
  const reps: number[] = [];
  for (const r of runners) {
    for (let i = 0; i < warmup; i++) await r.run();
    const t0 = performance.now();
    await r.run();
    reps.push(Math.max(1, Math.ceil(minTurnMs / Math.max(1, performance.now() - t0))));
  }
  const total = runners.map(() => 0);
  for (let t = 0; t < turns; t++) {
    for (const [k, r] of runners.entries()) {
      const t0 = await now();
      for (let i = 0; i < reps[k]; i++) await r.run();
      total[k] += (await now()) - t0;
    }
  }
  return total.map((ms, k) => ms / (turns * reps[k]));
}
