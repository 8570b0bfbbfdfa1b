// Attribution in the database: computed with the run's stored tool-call figures once it has ended (and again
// when its trace gained calls since), stored in tool_attribution keyed by run and tool_use_id, and read by the
// queries and the report.
import type { Db } from '../db/open.js';
import { attributeRun, memoryStack, type CallAttribution, type CallWindow, type ProcessRecord, type StackPoint, type ValueRecord } from './attribute.js';

export interface RunInputs {
  processes: ProcessRecord[];
  values: ValueRecord[];
  calls: CallWindow[];
}

export function loadRunInputs(db: Db, runId: string): RunInputs {
  const processes = db
    .prepare(
      `SELECT id, kind, start_ms AS startMs, group_id AS groupId, first_seen_ms AS firstSeenMs, last_seen_ms AS lastSeenMs,
              peak_rss_bytes AS peakRssBytes, cpu_usec AS cpuUsec
       FROM processes WHERE run_id = ?`,
    )
    .all(runId) as ProcessRecord[];
  const values = db
    .prepare(
      `SELECT v.process_id AS processId, v.t_ms AS tMs, v.rss_bytes AS rssBytes, v.cpu_usec AS cpuUsec
       FROM processes p JOIN process_samples v ON v.process_id = p.id WHERE p.run_id = ?`,
    )
    .all(runId) as ValueRecord[];
  const calls = db
    .prepare(
      `SELECT c.tool_use_id AS toolUseId, c.start_ms AS startMs, c.end_ms AS endMs
       FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE r.id = ? ORDER BY c.start_ms, c.tool_use_id`,
    )
    .all(runId) as CallWindow[];
  return { processes, values, calls };
}

/** Attributes the run's calls and stores them (unless the run still runs, or the database is read-only). */
export function attributeAndStore(db: Db, runId: string): CallAttribution[] {
  const inputs = loadRunInputs(db, runId);
  const attributed = attributeRun(inputs.processes, inputs.values, inputs.calls);
  const status = (db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined)?.status;
  if (status === undefined || status === 'running' || db.readonly) return attributed;
  const insertCall = db.prepare(
    `INSERT INTO tool_attribution (run_id, tool_use_id, processes, tool_peak_rss_bytes, tool_remaining_rss_bytes, tool_cpu_seconds, agent_rss_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertProcess = db.prepare('INSERT INTO tool_attribution_processes (run_id, tool_use_id, process_id) VALUES (?, ?, ?)');
  db.transaction(() => {
    db.prepare('DELETE FROM tool_attribution WHERE run_id = ?').run(runId);
    db.prepare('DELETE FROM tool_attribution_processes WHERE run_id = ?').run(runId);
    for (const a of attributed) {
      insertCall.run(runId, a.toolUseId, a.processes, a.toolPeakRssBytes, a.toolRemainingRssBytes, a.toolCpuSeconds, a.agentRssBytes);
      for (const id of a.processIds) insertProcess.run(runId, a.toolUseId, id);
    }
    db.prepare('INSERT OR REPLACE INTO attributed_runs (run_id, attributed_at, tool_calls) VALUES (?, ?, ?)').run(runId, Date.now(), attributed.length);
  })();
  return attributed;
}

export const attributionKey = (runId: string, toolUseId: string) => `${runId}\u0000${toolUseId}`;

/**
 * The attribution of the calls of these runs (run id → its number of tool calls now), by attributionKey. Runs
 * with per-process samples that are not attributed yet, or whose trace has gained calls since, are attributed
 * first; runs without per-process samples have none.
 */
export function attributionOf(db: Db, callsPerRun: Map<string, number>): Map<string, CallAttribution> {
  const runIds = JSON.stringify([...callsPerRun.keys()]);
  const sampled = db.prepare('SELECT value AS runId FROM json_each(?) WHERE EXISTS (SELECT 1 FROM processes WHERE run_id = value)').all(runIds) as { runId: string }[];
  const done = new Map(
    (db.prepare('SELECT run_id AS runId, tool_calls AS calls FROM attributed_runs WHERE run_id IN (SELECT value FROM json_each(?))').all(runIds) as { runId: string; calls: number }[]).map((r) => [r.runId, r.calls]),
  );
  const out = new Map<string, CallAttribution>();
  const stored: string[] = [];
  for (const { runId } of sampled) {
    if (done.get(runId) === callsPerRun.get(runId)) {
      stored.push(runId);
      continue;
    }
    for (const a of attributeAndStore(db, runId)) out.set(attributionKey(runId, a.toolUseId), a);
  }
  const rows = db
    .prepare(
      `SELECT run_id AS runId, tool_use_id AS toolUseId, processes, tool_peak_rss_bytes AS toolPeakRssBytes,
              tool_remaining_rss_bytes AS toolRemainingRssBytes, tool_cpu_seconds AS toolCpuSeconds, agent_rss_bytes AS agentRssBytes
       FROM tool_attribution WHERE run_id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(stored)) as (Omit<CallAttribution, 'processIds'> & { runId: string })[];
  for (const { runId, ...a } of rows) out.set(attributionKey(runId, a.toolUseId), { ...a, processIds: [] });
  return out;
}

/** The run's memory by owner over time (the report's stacked chart); empty without per-process samples. */
export function runMemoryStack(db: Db, runId: string): StackPoint[] {
  const inputs = loadRunInputs(db, runId);
  return memoryStack(inputs.processes, inputs.values, inputs.calls);
}

export interface AttributedFigures {
  /** Peak RSS of the processes the call started (NULL: no per-process samples, or no tick inside the call). */
  toolPeakRssBytes: number | null;
  /** The agent's own RSS during the call. */
  agentRssBytes: number | null;
}

/** The calls with their attributed figures joined in (tool-resources' columns tool_peak_rss_bytes, agent_rss_bytes). */
export function withAttribution<T extends { runId: string; toolUseId: string }>(db: Db, calls: T[]): (T & AttributedFigures)[] {
  const callsPerRun = new Map<string, number>();
  for (const c of calls) callsPerRun.set(c.runId, (callsPerRun.get(c.runId) ?? 0) + 1);
  const attribution = callsPerRun.size ? attributionOf(db, callsPerRun) : new Map<string, CallAttribution>();
  return calls.map((c) => {
    const a = attribution.get(attributionKey(c.runId, c.toolUseId));
    return { ...c, toolPeakRssBytes: a?.toolPeakRssBytes ?? null, agentRssBytes: a?.agentRssBytes ?? null };
  });
}
