// Memory-aware parallelism (`batch --parallel auto`): a trial starts only while the predicted peaks of the
// running trials and its own fit the memory budget. Pure: the history and the running trials come in as values.
import { formatBytes } from '../units.js';

/** Peaks vary between repeats of the same trial: the prediction is the largest seen, plus this share. */
export const HISTORY_HEADROOM = 0.1;
/** The budget's default leaves this share of the host's memory (at least RESERVE_MIN_BYTES) to the host. */
export const RESERVE_SHARE = 0.1;
export const RESERVE_MIN_BYTES = 2 * 1024 ** 3;

export interface Prediction {
  bytes: number;
  /** history: earlier trials of the same instance and profile; limit: the profile's memory limit; budget: neither, so it runs alone. */
  from: 'history' | 'limit' | 'budget';
  /** Earlier trials it comes from (history). */
  trials: number;
}

/** From the peaks of earlier trials of the same instance and profile, else the profile's limit, else the whole budget. */
export function predictPeak(earlierPeaks: readonly number[], profileLimitBytes: number | null, budgetBytes: number): Prediction {
  if (earlierPeaks.length) return { bytes: Math.round(Math.max(...earlierPeaks) * (1 + HISTORY_HEADROOM)), from: 'history', trials: earlierPeaks.length };
  if (profileLimitBytes !== null) return { bytes: profileLimitBytes, from: 'limit', trials: 0 };
  return { bytes: budgetBytes, from: 'budget', trials: 0 };
}

export function defaultBudget(hostMemoryBytes: number): number {
  return hostMemoryBytes - Math.max(RESERVE_MIN_BYTES, Math.round(hostMemoryBytes * RESERVE_SHARE));
}

export type Admission = { admit: true; note: string | null } | { admit: false; reason: string };

const whence = (p: Prediction) =>
  p.from === 'history' ? `${p.trials} earlier trial${p.trials === 1 ? '' : 's'} + ${HISTORY_HEADROOM * 100}%` : p.from === 'limit' ? "its profile's memory limit" : 'no history and no memory limit';

/**
 * Whether the next trial may start now. One trial always may when none runs (else a trial predicted above the
 * budget would never start); it is then noted.
 */
export function admit(label: string, prediction: Prediction, runningPredictions: readonly number[], budgetBytes: number): Admission {
  const inUse = runningPredictions.reduce((a, b) => a + b, 0);
  if (inUse + prediction.bytes <= budgetBytes) return { admit: true, note: null };
  if (runningPredictions.length === 0) return { admit: true, note: `${label} is predicted at ${formatBytes(prediction.bytes)} (${whence(prediction)}), over the ${formatBytes(budgetBytes)} budget: it runs alone` };
  return {
    admit: false,
    reason: `${label} waits: predicted ${formatBytes(prediction.bytes)} (${whence(prediction)}), ${formatBytes(budgetBytes - inUse)} of the ${formatBytes(budgetBytes)} budget free (${runningPredictions.length} running)`,
  };
}

export interface MemoryPoint {
  runId: string;
  tMs: number;
  /** The run's memory from this time on; null: unknown (kept at its last value). */
  bytes: number | null;
}

/**
 * The largest sum of the trials' memory at any moment: each trial holds its last sample's value until its
 * next sample, and 0 after it ended. `points` in time order; an end is a point with bytes 0.
 */
export function peakOfSum(points: Iterable<MemoryPoint>): { peakBytes: number; atMs: number | null } {
  const current = new Map<string, number>();
  let sum = 0;
  let peak = { peakBytes: 0, atMs: null as number | null };
  for (const p of points) {
    if (p.bytes === null) continue;
    sum += p.bytes - (current.get(p.runId) ?? 0);
    current.set(p.runId, p.bytes);
    if (sum > peak.peakBytes) peak = { peakBytes: sum, atMs: p.tMs };
  }
  return peak;
}

/** Most trials running at once, from their [start, end] spans. */
export function maxConcurrent(spans: readonly { startMs: number; endMs: number | null }[]): number {
  const edges = spans.flatMap((s) => [
    { t: s.startMs, d: 1 },
    { t: s.endMs ?? Infinity, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d); // an end before a start at the same moment
  let running = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (running += e.d));
  return most;
}
