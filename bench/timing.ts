/** Median of wall-clock times of `run` (which must resolve when the GPU work is done). */
export async function medianMs(run: () => Promise<void>, warmup: number, repeats: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function geometricMean(values: number[]): number {
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

export function pad(text: string | number, width: number): string {
  return String(text).padStart(width);
}
