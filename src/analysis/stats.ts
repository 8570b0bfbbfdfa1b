// Order statistics for the built-in queries and the report's box plots.
//
// Percentiles use the nearest-rank rule: the p-th percentile of n values is the smallest value such that
// at least p% of the values are at or below it, i.e. sorted[ceil(p/100 * n) - 1] (p = 0 gives the minimum).
// It always returns one of the observed values (a peak memory that was actually measured), and the median
// of an even count is the lower of the two middle values.

export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('nearestRank of no values');
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(1, rank) - 1];
}

/** The non-null values, ascending. */
export function sortedValues(values: Iterable<number | null | undefined>): number[] {
  const out: number[] = [];
  for (const v of values) if (v !== null && v !== undefined && !Number.isNaN(v)) out.push(v);
  return out.sort((a, b) => a - b);
}

/** The p-th nearest-rank percentile of the non-null values; null when there are none. */
export function percentile(values: Iterable<number | null | undefined>, p: number): number | null {
  const s = sortedValues(values);
  return s.length ? nearestRank(s, p) : null;
}

export interface Spread {
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function spread(values: Iterable<number | null | undefined> | Float64Array): Spread {
  // A Float64Array comes sorted, without NULLs (analysis/groups.ts mergedValues).
  const s = values instanceof Float64Array ? values : sortedValues(values);
  if (!s.length) return { p50: null, p95: null, max: null };
  return { p50: nearestRank(s, 50), p95: nearestRank(s, 95), max: s[s.length - 1] };
}

/** Five numbers for a box plot: whiskers at min and max, box from p25 to p75 (nearest rank). */
export interface BoxStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export function boxStats(values: Iterable<number | null | undefined>): BoxStats | null {
  const s = sortedValues(values);
  if (!s.length) return null;
  return { n: s.length, min: s[0], q1: nearestRank(s, 25), median: nearestRank(s, 50), q3: nearestRank(s, 75), max: s[s.length - 1] };
}

export function sum(values: Iterable<number | null | undefined>): number {
  let total = 0;
  for (const v of values) if (v !== null && v !== undefined) total += v;
  return total;
}

/** count / total, null for an empty group. */
export function rate(count: number, total: number): number | null {
  return total > 0 ? count / total : null;
}

/**
 * The 95 % Wilson score interval of a proportion (k successes of n): unlike the normal approximation it stays
 * within [0, 1] and is meaningful for 0 or n successes and small n. null for n = 0.
 */
export function wilsonInterval(k: number, n: number, z = 1.959964): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}
