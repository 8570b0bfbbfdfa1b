// The importer checks itself: the summary block of each resources.json, rebuilt from the samples as they
// were stored, must equal the published one (sample_count; duration_seconds = last − first epoch; memory_mb
// min/max/avg with 0 readings left out, decimal MB; cpu_percent min/max/avg over all samples).
import type { Db } from '../../db/open.js';
import { PODMAN_STATS_SOURCE } from './formats.js';

export interface RebuiltSummary {
  sampleCount: number;
  durationSeconds: number | null;
  memoryMb: { min: number | null; max: number | null; avg: number | null };
  cpuPercent: { min: number | null; max: number | null; avg: number | null };
}

/** The summary of a run's stored podman-stats samples. */
export function rebuildSummary(db: Db, runId: string): RebuiltSummary {
  const r = db
    .prepare(
      `SELECT COUNT(*) AS n, (MAX(t_ms) - MIN(t_ms)) / 1000.0 AS duration,
              MIN(NULLIF(memory_current_bytes, 0)) / 1e6 AS mem_min, MAX(NULLIF(memory_current_bytes, 0)) / 1e6 AS mem_max,
              AVG(NULLIF(memory_current_bytes, 0)) / 1e6 AS mem_avg,
              MIN(cpu_percent) AS cpu_min, MAX(cpu_percent) AS cpu_max, AVG(cpu_percent) AS cpu_avg
       FROM samples WHERE run_id = ? AND source = ?`,
    )
    .get(runId, PODMAN_STATS_SOURCE) as Record<string, number | null>;
  return {
    sampleCount: r.n ?? 0,
    durationSeconds: r.duration,
    memoryMb: { min: r.mem_min, max: r.mem_max, avg: r.mem_avg },
    cpuPercent: { min: r.cpu_min, max: r.cpu_max, avg: r.cpu_avg },
  };
}

/** Epoch seconds are stored as whole milliseconds: a duration may move by up to 1 ms. */
const DURATION_TOLERANCE_S = 0.0015;
const close = (a: number, b: number, absolute: number) => Math.abs(a - b) <= Math.max(absolute, 1e-9 * Math.max(Math.abs(a), Math.abs(b)));

/** What the rebuilt summary gets differently from the published one; empty when they agree. */
export function compareSummary(published: unknown, rebuilt: RebuiltSummary): string[] {
  if (typeof published !== 'object' || published === null) return ['no summary to compare with'];
  const p = published as Record<string, unknown>;
  const group = (key: string) => (typeof p[key] === 'object' && p[key] !== null ? (p[key] as Record<string, unknown>) : {});
  const checks: [string, unknown, number | null, number][] = [
    ['sample_count', p.sample_count, rebuilt.sampleCount, 0],
    ['duration_seconds', p.duration_seconds, rebuilt.durationSeconds, DURATION_TOLERANCE_S],
    ...(['min', 'max', 'avg'] as const).map((k): [string, unknown, number | null, number] => [`memory_mb.${k}`, group('memory_mb')[k], rebuilt.memoryMb[k], 1e-6]),
    ...(['min', 'max', 'avg'] as const).map((k): [string, unknown, number | null, number] => [`cpu_percent.${k}`, group('cpu_percent')[k], rebuilt.cpuPercent[k], 1e-6]),
  ];
  const mismatches: string[] = [];
  for (const [key, want, got, tolerance] of checks) {
    if (want === undefined) continue; // a summary without the field claims nothing
    const ok = typeof want === 'number' && got !== null ? close(want, got, tolerance) : want === null && got === null;
    if (!ok) mismatches.push(`${key} ${JSON.stringify(want)} published, ${got === null ? 'null' : Number(got.toPrecision(10))} from the samples`);
  }
  return mismatches;
}
