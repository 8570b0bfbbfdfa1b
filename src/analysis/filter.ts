// The selection every built-in query takes: --run ID, --batch ID, --since DATE (combinable, ANDed).
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { parseDuration } from '../units.js';

export interface RunFilter {
  runId?: string;
  batchId?: string;
  /** Epoch ms: runs started (sessions first seen) at or after it. */
  sinceMs?: number;
}

const DAY_MS = 86_400_000;

/** Epoch ms from a date ("2026-05-01" is UTC midnight, "2026-05-01T12:00" local time) or a time ago ("90m", "24h", "7d"). */
export function parseSince(value: string, now = Date.now()): number {
  const text = value.trim();
  const days = /^(\d+)d$/.exec(text);
  if (days) return now - Number(days[1]) * DAY_MS;
  const ago = /^\d+(\.\d+)?(ms|s|m|h)/.test(text) ? parseDuration(text) : undefined;
  if (ago !== undefined) return now - ago;
  const ms = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new ConfigError(`--since: expected a date (2026-05-01, 2026-05-01T12:00) or a time ago (90m, 24h, 7d), got "${value}"`);
  return ms;
}

export interface SqlCondition {
  sql: string;
  params: Record<string, string | number>;
}

/** The runs (table alias `alias`) the filter selects. */
export function runCondition(filter: RunFilter, alias = 'r'): SqlCondition {
  const terms: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.runId !== undefined) {
    terms.push(`${alias}.id = @runId`);
    params.runId = filter.runId;
  }
  if (filter.batchId !== undefined) {
    terms.push(`${alias}.batch_id = @batchId`);
    params.batchId = filter.batchId;
  }
  if (filter.sinceMs !== undefined) {
    terms.push(`${alias}.started_at >= @sinceMs`);
    params.sinceMs = filter.sinceMs;
  }
  return { sql: terms.length ? terms.join(' AND ') : '1', params };
}

/**
 * The trace sessions (column `column`) the filter selects: with --run or --batch, the sessions of those runs;
 * with only --since, the sessions first seen since then; with nothing, every session, agentpod run or not.
 */
export function sessionCondition(filter: RunFilter, column: string): SqlCondition {
  if (filter.runId !== undefined || filter.batchId !== undefined) {
    const runs = runCondition(filter, 'r');
    return { sql: `${column} IN (SELECT r.session_id FROM runs r WHERE ${runs.sql})`, params: runs.params };
  }
  if (filter.sinceMs !== undefined) {
    return { sql: `${column} IN (SELECT session_id FROM session_facts WHERE first_ms >= @sinceMs)`, params: { sinceMs: filter.sinceMs } };
  }
  return { sql: '1', params: {} };
}

/** A --run or --batch that names nothing is a typo, not an empty answer. */
export function assertFilterMatches(db: Db, filter: RunFilter): void {
  if (filter.runId !== undefined && !db.prepare('SELECT 1 FROM runs WHERE id = ?').get(filter.runId)) {
    throw new ConfigError(`no run ${filter.runId} in the database`);
  }
  if (filter.batchId !== undefined && !db.prepare('SELECT 1 FROM runs WHERE batch_id = ?').get(filter.batchId)) {
    throw new ConfigError(`no run of batch ${filter.batchId} in the database`);
  }
}
