// The data loader of `query characterize`: the selected runs, which of them stand for their task, and each
// chosen run's samples, tool windows and trace span — one run at a time, so no selection is held whole.
import type { Db } from '../../db/open.js';
import { runCondition, type RunFilter } from '../filter.js';

export interface RunMeta {
  runId: string;
  /** The task the run belongs to: its batch's instance (the study's tasks are per data set), else the run itself. */
  task: string;
  startedAt: number;
  trialIndex: number | null;
  /** The agent's wall time (imported runs: claude_time). */
  durationMs: number | null;
  origin: string;
  sessionId: string;
  sampleSource: string | null;
}

export interface Sample {
  tMs: number;
  /** Bytes (memory_current_bytes). */
  memory: number | null;
  /** % of one core: podman's figure for imported samples, Δcpu_usage_usec / Δt for agentpod's (null on a run's first). */
  cpuPercent: number | null;
  flag: string | null;
}

export interface ToolWindow {
  tool: string;
  command: string | null;
  agentId: string | null;
  startMs: number | null;
  endMs: number | null;
  /** Position in tool_calls.json for imported windows; null for the trace's. */
  seq: number | null;
}

export interface RunSeries extends RunMeta {
  samples: Sample[];
  calls: ToolWindow[];
  /** First and last trace line times (null: no trace ingested). */
  traceSpan: { firstMs: number; lastMs: number } | null;
}

/** The finished runs the filter selects, oldest first. */
export function selectedRuns(db: Db, filter: RunFilter): RunMeta[] {
  const where = runCondition(filter, 'r');
  const rows = db
    .prepare(
      `SELECT r.id, COALESCE(r.batch_id || '/', '') || COALESCE(r.instance_id, r.id) AS task, r.started_at, r.trial_index, r.duration_ms, r.origin, r.session_id, r.sample_source
       FROM runs r WHERE ${where.sql} AND r.status <> 'running' ORDER BY r.started_at, r.trial_index, r.id`,
    )
    .all(where.params) as { id: string; task: string; started_at: number; trial_index: number | null; duration_ms: number | null; origin: string; session_id: string; sample_source: string | null }[];
  return rows.map((r) => ({ runId: r.id, task: r.task, startedAt: r.started_at, trialIndex: r.trial_index, durationMs: r.duration_ms, origin: r.origin, sessionId: r.session_id, sampleSource: r.sample_source }));
}

/** Each task's last run (latest start), as the study counted an instance with several attempts; or every run. */
export function representativeRuns(runs: RunMeta[], allRuns: boolean): RunMeta[] {
  if (allRuns) return runs;
  const last = new Map<string, RunMeta>();
  for (const r of runs) last.set(r.task, r); // runs come oldest first
  return [...last.values()];
}

export function loadSeries(db: Db, run: RunMeta): RunSeries {
  const rows = db
    .prepare('SELECT t_ms, memory_current_bytes, cpu_percent, cpu_usage_usec, flag FROM samples WHERE run_id = ? ORDER BY t_ms')
    .raw()
    .all(run.runId) as [number, number | null, number | null, number | null, string | null][];
  const samples: Sample[] = rows.map(([tMs, memory, cpuPercent, cpuUsec, flag], i) => {
    let cpu = cpuPercent;
    if (cpu === null && cpuUsec !== null && i > 0) {
      const [prevT, , , prevUsec] = rows[i - 1];
      // usec per ms is 1e3 × cores: a tenth of that is % of one core
      // (a proc-source counter drops when a process exits unreaped: no rate then, rather than a negative one)
      if (prevUsec !== null && tMs > prevT && cpuUsec >= prevUsec) cpu = (cpuUsec - prevUsec) / (tMs - prevT) / 10;
    }
    return { tMs, memory, cpuPercent: cpu, flag };
  });
  const calls = (
    db.prepare('SELECT tool_name, command, agent_id, start_ms, end_ms, seq FROM run_tool_calls WHERE run_id = ?').all(run.runId) as {
      tool_name: string | null;
      command: string | null;
      agent_id: string | null;
      start_ms: number | null;
      end_ms: number | null;
      seq: number | null;
    }[]
  ).map((c) => ({ tool: c.tool_name ?? '(unknown)', command: c.command, agentId: c.agent_id, startMs: c.start_ms, endMs: c.end_ms, seq: c.seq }));
  const span = db.prepare('SELECT first_ms, last_ms FROM session_facts WHERE session_id = ?').get(run.sessionId) as { first_ms: number | null; last_ms: number | null } | undefined;
  const traceSpan = span && span.first_ms !== null && span.last_ms !== null ? { firstMs: span.first_ms, lastMs: span.last_ms } : null;
  return { ...run, samples, calls, traceSpan };
}
