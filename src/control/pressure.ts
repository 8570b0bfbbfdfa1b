// A run's memory pressure, from its samples: memory.events "high" and "max" and the memory PSI stall time —
// how long the kernel throttled the container (memory.high) or stalled it on memory.
import type { Db } from '../db/open.js';
import { formatBytes, formatDuration } from '../units.js';

export interface RunPressure {
  memoryHighEvents: number | null;
  memoryMaxEvents: number | null;
  memoryStallSomeUsec: number | null;
  memoryStallFullUsec: number | null;
}

/** The run's memory pressure from its samples (cgroup v2 counters start at 0 with the container: the max). */
export function recordPressure(db: Db, runId: string): RunPressure {
  const p = db
    .prepare(
      `SELECT MAX(memory_events_high) AS memoryHighEvents, MAX(memory_events_max) AS memoryMaxEvents,
              MAX(psi_memory_some_total_usec) AS memoryStallSomeUsec, MAX(psi_memory_full_total_usec) AS memoryStallFullUsec
       FROM samples WHERE run_id = ?`,
    )
    .get(runId) as RunPressure;
  db.prepare(
    `UPDATE run_controls SET memory_high_events = @memoryHighEvents, memory_max_events = @memoryMaxEvents,
       memory_stall_some_usec = @memoryStallSomeUsec, memory_stall_full_usec = @memoryStallFullUsec WHERE run_id = @runId`,
  ).run({ ...p, runId });
  return p;
}

/** "memory.high 1.5 GiB: 37 high events, throttled 2.3s (memory PSI some; full 0.4s)". */
export function pressureLine(memoryHighBytes: number | null, p: RunPressure): string {
  const high = memoryHighBytes === null ? 'memory.high' : `memory.high ${formatBytes(memoryHighBytes)}`;
  if (p.memoryHighEvents === null) return `${high}: no memory.events (no cgroup v2 of its own): throttling unknown`;
  const stall = p.memoryStallSomeUsec === null ? 'no memory PSI' : `throttled ${formatDuration(p.memoryStallSomeUsec / 1000)} (memory PSI some; full ${formatDuration((p.memoryStallFullUsec ?? 0) / 1000)})`;
  return `${high}: ${p.memoryHighEvents} high events, ${stall}`;
}
