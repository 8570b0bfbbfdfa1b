// `tool-processes`: per tool call, the processes it started (its command tree), largest first — from the
// run's per-process samples and the attribution (docs/sampler.md, Attribution).
import { attributionOf } from '../attribution/store.js';
import type { Db } from '../db/open.js';
import { toolCallDetail } from './families.js';
import { runCondition, type RunFilter } from './filter.js';
import { toolCallKey } from './groups.js';
import type { Row } from './output.js';
import type { Query } from './query.js';

/** Processes listed per call (the largest by peak RSS); the call's others are counted in `of`. */
export const TOP_PROCESSES = 5;

interface ProcessLine {
  run_id: string;
  tool_use_id: string;
  tool_name: string | null;
  input: string | null;
  command: string | null;
  call_start_ms: number | null;
  call_end_ms: number | null;
  pid: number;
  comm: string | null;
  cmdline: string | null;
  start_ms: number | null;
  last_seen_ms: number | null;
  peak_rss_bytes: number | null;
  cpu_usec: number | null;
  own_values: number;
  rank: number;
  of: number;
}

export function toolProcessRows(db: Db, filter: RunFilter): Row[] {
  const where = runCondition(filter, 'r');
  const counts = db
    .prepare(`SELECT r.id AS runId, COUNT(c.tool_use_id) AS calls FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE ${where.sql} GROUP BY r.id`)
    .all(where.params) as { runId: string; calls: number }[];
  attributionOf(db, new Map(counts.map((c) => [c.runId, c.calls])));
  const lines = db
    .prepare(
      `WITH calls AS (
         SELECT r.id AS run_id, r.started_at, c.tool_use_id, c.tool_name, c.input, c.command, c.start_ms, c.end_ms
         FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE ${where.sql}),
       ranked AS (
         SELECT calls.*, p.pid, p.comm, p.cmdline, p.start_ms AS process_start_ms, p.last_seen_ms, p.peak_rss_bytes, p.cpu_usec,
                EXISTS (SELECT 1 FROM process_samples v WHERE v.process_id = p.id) AS own_values,
                ROW_NUMBER() OVER (PARTITION BY calls.run_id, calls.tool_use_id ORDER BY p.peak_rss_bytes DESC, p.start_ms, p.id) AS rank,
                COUNT(*) OVER (PARTITION BY calls.run_id, calls.tool_use_id) AS of
         FROM calls
         JOIN tool_attribution_processes a ON a.run_id = calls.run_id AND a.tool_use_id = calls.tool_use_id
         JOIN processes p ON p.id = a.process_id)
       SELECT run_id, tool_use_id, tool_name, input, command, start_ms AS call_start_ms, end_ms AS call_end_ms, pid, comm, cmdline,
              process_start_ms AS start_ms, last_seen_ms, peak_rss_bytes, cpu_usec, own_values, rank, of
       FROM ranked WHERE rank <= ${TOP_PROCESSES}
       ORDER BY started_at, run_id, call_start_ms, tool_use_id, rank`,
    )
    .all(where.params) as ProcessLine[];
  return lines.map((l) => ({
    run_id: l.run_id,
    tool_use_id: l.tool_use_id,
    tool: toolCallKey(l.tool_name, l.command).tool,
    detail: toolCallDetail(l.input),
    rank: l.rank,
    of: l.of,
    pid: l.pid,
    command: l.comm,
    cmdline: l.cmdline,
    started_after_ms: l.start_ms === null || l.call_start_ms === null ? null : l.start_ms - l.call_start_ms,
    peak_rss_bytes: l.peak_rss_bytes,
    folded: l.own_values ? 0 : 1,
    cpu_seconds: l.cpu_usec === null ? null : l.cpu_usec / 1e6,
    outlived_call: l.last_seen_ms === null || l.call_end_ms === null ? null : l.last_seen_ms > l.call_end_ms ? 1 : 0,
  }));
}

export const toolProcessesQuery: Query = {
  name: 'tool-processes',
  question: 'Which processes did each tool call start, and how much memory and CPU did each take?',
  columns: [
    { key: 'run_id', kind: 'text', about: 'the run', optional: true },
    { key: 'tool_use_id', kind: 'text', about: 'the call', optional: true },
    { key: 'tool', kind: 'text', about: 'tool name' },
    { key: 'detail', kind: 'text', about: 'the command, file or pattern the call was given', optional: true },
    { key: 'rank', kind: 'int', about: `1 = the call's largest process by peak RSS (the top ${TOP_PROCESSES} are listed)` },
    { key: 'of', kind: 'int', about: 'processes the call started (children of the agent started in its window, and their descendants)' },
    { key: 'pid', kind: 'int', about: 'host pid' },
    { key: 'command', kind: 'text', about: 'command name (comm)' },
    { key: 'cmdline', kind: 'text', about: 'the first 200 bytes of the command line', optional: true },
    { key: 'started_after_ms', kind: 'ms', about: "process start minus the call's tool_use time", optional: true },
    { key: 'peak_rss_bytes', kind: 'bytes', about: 'largest RSS the sampler saw' },
    { key: 'folded', kind: 'int', about: '1: stayed under the size threshold, its values are in its group\'s (other) row', optional: true },
    { key: 'cpu_seconds', kind: 'decimal', about: 'its own CPU time (utime + stime) when last seen' },
    { key: 'outlived_call', kind: 'int', about: '1: still running after the call\'s tool_result', optional: true },
  ],
  run: toolProcessRows,
};
