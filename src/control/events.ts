// The limit_events table: the limits read back at the start of a run and every change during it.
import type { Db } from '../db/open.js';
import { LIMIT_KEYS } from '../limit-keys.js';
import { LIMIT_FILES, type KeyReading } from './cgroup-limits.js';

export type LimitOrigin = 'start' | 'command' | 'schedule';

export function recordLimitEvents(db: Db, runId: string, tMs: number, origin: LimitOrigin, readings: KeyReading[]): void {
  const insert = db.prepare(
    `INSERT INTO limit_events (run_id, t_ms, origin, key, requested, file, read_back, confirmed, note)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const r of readings) insert.run(runId, tMs, origin, r.key, r.requested, r.file, r.readBack, r.confirmed === null ? null : r.confirmed ? 1 : 0, r.note);
  })();
}

export interface LimitEvent {
  t_ms: number;
  origin: LimitOrigin;
  key: KeyReading['key'];
  requested: string;
  read_back: string | null;
  confirmed: number | null;
  note: string | null;
}

export function limitEvents(db: Db, runId: string): LimitEvent[] {
  return db.prepare('SELECT t_ms, origin, key, requested, read_back, confirmed, note FROM limit_events WHERE run_id = ? ORDER BY t_ms, id').all(runId) as LimitEvent[];
}

/**
 * The memory.high and cpu.weight the run wants now (its latest event for each, a start event included): what
 * applyLimits writes again after a podman update.
 */
export function softTargets(db: Db, runId: string): { file: string; value: string }[] {
  const latest = db
    .prepare(
      `SELECT key, requested FROM limit_events e WHERE run_id = ? AND key IN ('memory-high', 'cpu-weight')
         AND id = (SELECT MAX(id) FROM limit_events WHERE run_id = e.run_id AND key = e.key)`,
    )
    .all(runId) as { key: 'memory-high' | 'cpu-weight'; requested: string }[];
  return latest.map((r) => ({ file: LIMIT_FILES[r.key], value: r.key === 'cpu-weight' && r.requested === 'max' ? '100' : r.requested }));
}

/** One line per key, for the person who asked: "memory-high 1.5 GiB: confirmed (memory.high = 1610612736)". */
export function readingLine(r: KeyReading): string {
  const state = r.confirmed === true ? 'confirmed' : r.confirmed === false ? 'NOT applied' : 'not read back';
  const format = LIMIT_KEYS.find((k) => k.name === r.key)!.format;
  const value = r.requested === 'max' ? 'unlimited' : format(Number(r.requested));
  return `${r.key} ${value}: ${state}${r.file ? ` (${r.file} = ${r.readBack ?? '-'})` : ''}${r.note ? `; ${r.note}` : ''}`;
}
