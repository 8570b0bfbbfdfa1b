// Stored tool-call figures (schema: db/schema/analysis.ts; docs/queries.md). `tools` keeps, per session, its
// calls grouped by tool and Bash family; `tool-resources*` keep, per run, each call's window figures and the
// same grouped. Computing them means classifying every command and seeking into the samples around every
// call: done once per session and run (at the end of a run, after an ingest, or by the first query that finds
// them stale), not by every query. Triggers mark a set stale when its inputs change; a refresh recomputes the
// stale sets of a selection inside one write transaction, so data arriving meanwhile waits and then marks them
// stale again: a query never reads figures older than the data.
import type { Db } from '../db/open.js';
import { runCondition, sessionCondition, type RunFilter, type SqlCondition } from './filter.js';
import { toolCallKey } from './groups.js';
import { measuredToolCallsWhere, type MeasuredToolCall } from './tool-resources.js';

/** Stored family of a call: '' for tools other than Bash (a primary key column cannot hold NULL). */
export const storedFamily = (family: string | null) => family ?? '';
export const familyOf = (stored: string) => (stored === '' ? null : stored);

/**
 * Values as stored: comma-separated, ascending, NULLs left out. Text, because a query over 1,000 runs joins
 * ~10,000 of them per group inside SQLite (group_concat) and parses the result once: one Buffer or string per
 * run and group handed to JavaScript costs ~100 ms on its own.
 */
export function packValues(values: (number | null)[]): string {
  return Float64Array.from(values.filter((v): v is number => v !== null && !Number.isNaN(v))).sort().join(',');
}

/** JSON array of ids, for `IN (SELECT value FROM json_each(?))`. */
const idList = (ids: string[]) => JSON.stringify(ids);

/** Sessions of the selection whose groups are not current. */
function staleSessions(db: Db, filter: RunFilter): string[] {
  const where = sessionCondition(filter, 's.session_id');
  return db
    .prepare(`SELECT s.session_id FROM session_facts s WHERE ${where.sql} AND NOT EXISTS (SELECT 1 FROM tool_call_groups_state g WHERE g.session_id = s.session_id)`)
    .pluck()
    .all(where.params) as string[];
}

interface CallRow {
  session_id: string;
  tool_name: string | null;
  command: string | null;
  duration_ms: number | null;
  is_error: number | null;
}

interface CallGroup {
  tool: string;
  family: string;
  calls: number;
  unfinished: number;
  errors: number;
  totalMs: number;
  durations: number[];
}

function groupCalls(calls: CallRow[]): Map<string, Map<string, CallGroup>> {
  const bySession = new Map<string, Map<string, CallGroup>>();
  for (const c of calls) {
    const { tool, family } = toolCallKey(c.tool_name, c.command);
    const key = `${tool}\0${storedFamily(family)}`;
    let groups = bySession.get(c.session_id);
    if (!groups) bySession.set(c.session_id, (groups = new Map()));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { tool, family: storedFamily(family), calls: 0, unfinished: 0, errors: 0, totalMs: 0, durations: [] }));
    g.calls++;
    if (c.duration_ms === null) g.unfinished++;
    else {
      g.durations.push(c.duration_ms);
      g.totalMs += c.duration_ms;
      if (c.is_error === 1) g.errors++;
    }
  }
  return bySession;
}

/**
 * Recomputes the figures of the selected sessions that are not current — tool-call groups and tokens per model.
 * Returns how many sessions it recomputed.
 */
export function refreshToolCallGroups(db: Db, filter: RunFilter): number {
  if (staleSessions(db, filter).length === 0) return 0; // the common case, without taking the write lock
  return db
    .transaction(() => {
      const sessions = staleSessions(db, filter);
      if (sessions.length === 0) return 0;
      const ids = idList(sessions);
      const calls = db
        .prepare(`SELECT session_id, tool_name, command, duration_ms, is_error FROM tool_calls WHERE session_id IN (SELECT value FROM json_each(?))`)
        .all(ids) as CallRow[];
      db.prepare('DELETE FROM tool_call_groups WHERE session_id IN (SELECT value FROM json_each(?))').run(ids);
      db.prepare('DELETE FROM session_model_tokens WHERE session_id IN (SELECT value FROM json_each(?))').run(ids);
      db.prepare(
        `INSERT INTO session_model_tokens (session_id, model, responses, subagent_responses, input_tokens, output_tokens,
           cache_creation_input_tokens, cache_read_input_tokens, first_ms)
         SELECT session_id, model, COUNT(*), SUM(agent_id IS NOT NULL), SUM(input_tokens), SUM(output_tokens),
           SUM(cache_creation_input_tokens), SUM(cache_read_input_tokens), MIN(first_ms)
         FROM responses WHERE is_synthetic = 0 AND session_id IN (SELECT value FROM json_each(?)) GROUP BY session_id, model`,
      ).run(ids);
      const insert = db.prepare(
        `INSERT INTO tool_call_groups (session_id, tool, family, calls, unfinished, errors, total_ms, durations_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const [session, groups] of groupCalls(calls)) {
        for (const g of groups.values()) insert.run(session, g.tool, g.family, g.calls, g.unfinished, g.errors, g.totalMs, packValues(g.durations));
      }
      const state = db.prepare('INSERT OR REPLACE INTO tool_call_groups_state (session_id, computed_at_ms) VALUES (?, ?)');
      const now = Date.now();
      for (const s of sessions) state.run(s, now);
      return sessions.length;
    })
    .immediate();
}

export interface StoredCallGroup {
  tool: string;
  family: string;
  calls: number;
  unfinished: number;
  errors: number;
  total_ms: number;
  durations_ms: string;
}

/** The stored groups of the selected sessions (refreshed first), summed over the sessions: one row per group. */
export function storedCallGroups(db: Db, filter: RunFilter): StoredCallGroup[] {
  refreshToolCallGroups(db, filter);
  const where = sessionCondition(filter, 'session_id');
  return db
    .prepare(
      `SELECT tool, family, SUM(calls) AS calls, SUM(unfinished) AS unfinished, SUM(errors) AS errors, SUM(total_ms) AS total_ms,
              group_concat(NULLIF(durations_ms, ''), ',') AS durations_ms
       FROM tool_call_groups WHERE ${where.sql} GROUP BY tool, family`,
    )
    .all(where.params) as StoredCallGroup[];
}

/** Runs of the selection whose windows are not current. */
function staleRuns(db: Db, where: SqlCondition): string[] {
  return db
    .prepare(`SELECT r.id FROM runs r WHERE ${where.sql} AND NOT EXISTS (SELECT 1 FROM tool_windows_state w WHERE w.run_id = r.id)`)
    .pluck()
    .all(where.params) as string[];
}

function writeWindows(db: Db, calls: MeasuredToolCall[]): void {
  const insert = db.prepare(
    `INSERT INTO tool_windows (run_id, tool_use_id, agent_id, tool, family, start_ms, end_ms, window_end_ms, duration_ms, is_error,
       coverage, samples, peak_memory_bytes, memory_before_bytes, memory_delta_bytes, cpu_seconds, avg_cores)
     VALUES (@runId, @toolUseId, @agentId, @tool, @family, @startMs, @endMs, @windowEndMs, @durationMs, @isError,
       @coverage, @samples, @peakMemoryBytes, @memoryBeforeBytes, @memoryDeltaBytes, @cpuSeconds, @avgCores)`,
  );
  const groups = new Map<string, { runId: string; tool: string; family: string; calls: number; measured: MeasuredToolCall[] }>();
  for (const c of calls) {
    const family = storedFamily(c.family);
    insert.run({ ...c, family });
    const key = `${c.runId}\0${c.tool}\0${family}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { runId: c.runId, tool: c.tool, family, calls: 0, measured: [] }));
    g.calls++;
    if (c.coverage !== 'none') g.measured.push(c);
  }
  const insertGroup = db.prepare(
    `INSERT INTO tool_window_groups (run_id, tool, family, calls, measured, bracketed, peak_memory_bytes, memory_delta_bytes, cpu_seconds)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const g of groups.values()) {
    const m = g.measured;
    insertGroup.run(
      g.runId, g.tool, g.family, g.calls, m.length, m.filter((c) => c.coverage === 'bracketing').length,
      packValues(m.map((c) => c.peakMemoryBytes)),
      packValues(m.map((c) => c.memoryDeltaBytes)),
      packValues(m.map((c) => c.cpuSeconds)),
    );
  }
}

/** Recomputes the tool windows of the runs the condition (alias `r`) selects that are not current. Returns how many. */
export function refreshToolWindowsWhere(db: Db, where: SqlCondition): number {
  if (staleRuns(db, where).length === 0) return 0;
  return db
    .transaction(() => {
      const runs = staleRuns(db, where);
      if (runs.length === 0) return 0;
      const ids = idList(runs);
      const calls = measuredToolCallsWhere(db, { sql: 'r.id IN (SELECT value FROM json_each(@storedIds))', params: { storedIds: ids } });
      db.prepare('DELETE FROM tool_windows WHERE run_id IN (SELECT value FROM json_each(?))').run(ids);
      db.prepare('DELETE FROM tool_window_groups WHERE run_id IN (SELECT value FROM json_each(?))').run(ids);
      writeWindows(db, calls);
      const state = db.prepare('INSERT OR REPLACE INTO tool_windows_state (run_id, computed_at_ms) VALUES (?, ?)');
      const now = Date.now();
      for (const id of runs) state.run(id, now);
      return runs.length;
    })
    .immediate();
}

export const refreshToolWindows = (db: Db, filter: RunFilter) => refreshToolWindowsWhere(db, runCondition(filter, 'r'));

/**
 * At the end of a run (or after its trace was ingested): its stored figures and its session's, so the first
 * query finds them current. A failure here loses nothing (the next query recomputes), so it is only reported.
 */
export function storeRunFigures(db: Db, runId: string): void {
  refreshToolWindows(db, { runId });
  refreshToolCallGroups(db, { runId });
}
