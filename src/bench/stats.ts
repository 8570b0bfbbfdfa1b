// Summary statistics for benchmark samples. Benchmarks report medians (robust to one slow outlier on a
// shared 2-core machine) and compare each to a baseline measured in the same run.

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new Error('no samples');
  return [...samples].sort((a, b) => a - b);
}

/** The p-th percentile (0..100), linear interpolation between the closest ranks. */
export function percentile(samples: readonly number[], p: number): number {
  const s = sorted(samples);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('no samples');
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = sorted(samples);
  return { n: s.length, min: s[0], median: median(s), p90: percentile(s, 90), max: s[s.length - 1] };
}

/** value / baseline, rounded to 3 decimals so tables and JSON show the same number. */
export function ratio(value: number, baseline: number): number {
  return Math.round((value / baseline) * 1000) / 1000;
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `fn` and returns how long it took in milliseconds. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return elapsedMs(start);
}

/**
 * Times two sides `runs` times each, alternating which goes first so that a drift in machine load hits both
 * alike. `subject` is timed here; `baseline` returns its own time (it may leave cleanup out of it).
 */
export async function alternate(runs: number, subject: () => Promise<unknown>, baseline: () => Promise<number>): Promise<{ subjectMs: number[]; baselineMs: number[] }> {
  const subjectMs: number[] = [];
  const baselineMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      subjectMs.push(await timeMs(subject));
      baselineMs.push(await baseline());
    } else {
      baselineMs.push(await baseline());
      subjectMs.push(await timeMs(subject));
    }
  }
  return { subjectMs, baselineMs };
}
