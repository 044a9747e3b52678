/** What the micro-benchmarks share: time a call many times, and summarize the milliseconds. */

/** Median, p90, p99 and mean of a list of durations (ms). */
export function latencyStats(ms: number[]): { median: number; p90: number; p99: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p90: q(0.9), p99: q(0.99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

/** `calls` timed runs of `fn` (ms each), after `warmup` untimed ones. */
export async function timeCalls(fn: () => unknown, calls: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}
