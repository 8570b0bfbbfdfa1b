// `runs`: one line per run.
import type { Db } from '../db/open.js';
import { runCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { refreshToolCallGroups } from './stored.js';

export function runsRows(db: Db, filter: RunFilter): Row[] {
  refreshToolCallGroups(db, filter);
  const where = runCondition(filter, 'r');
  // Tokens and tool calls come from the ingested trace (subagents included; summed from the stored per-session
  // figures); NULL when the trace is not in the database, so a missing trace never reads as zero.
  return db
    .prepare(
      `WITH sel AS (SELECT * FROM runs r WHERE ${where.sql}),
       tokens AS (
         SELECT session_id, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                SUM(cache_creation_input_tokens) AS cache_creation_input_tokens, SUM(cache_read_input_tokens) AS cache_read_input_tokens
         FROM session_model_tokens WHERE session_id IN (SELECT session_id FROM sel) GROUP BY session_id),
       calls AS (
         SELECT session_id, SUM(calls) AS tool_calls FROM tool_call_groups
         WHERE session_id IN (SELECT session_id FROM sel) GROUP BY session_id)
       SELECT r.id AS run_id, r.started_at, r.status, r.origin, r.profile, r.memory_limit_bytes, r.cpus, r.limits_enforced,
              r.duration_ms, r.peak_memory_bytes, r.cpu_seconds,
              CASE WHEN r.oom_killed = 1 OR r.oom_kill_events > 0 THEN 1
                   WHEN r.oom_killed IS NULL AND r.oom_kill_events IS NULL THEN NULL ELSE 0 END AS oom,
              t.input_tokens, t.output_tokens, t.cache_creation_input_tokens, t.cache_read_input_tokens,
              r.num_turns AS turns,
              CASE WHEN f.session_id IS NOT NULL THEN COALESCE(c.tool_calls, 0) END AS tool_calls,
              r.patch_bytes, r.eval_status, r.resolution
       FROM sel r
       LEFT JOIN session_facts f ON f.session_id = r.session_id
       LEFT JOIN tokens t ON t.session_id = r.session_id
       LEFT JOIN calls c ON c.session_id = r.session_id
       ORDER BY r.started_at, r.id`,
    )
    .all(where.params) as Row[];
}

export const runsQuery: Query = {
  name: 'runs',
  question: 'What happened in each run: outcome, limits, time, peak memory, CPU, OOM, tokens, turns, tool calls, patch?',
  columns: [
    { key: 'run_id', kind: 'text', about: 'runs.id' },
    { key: 'started_at', kind: 'time', about: 'start, epoch ms (UTC on the terminal)', optional: true },
    { key: 'status', kind: 'text', about: 'running, ok, failed, oom, timeout or interrupted' },
    { key: 'origin', kind: 'text', about: 'agentpod: launched by agentpod; agentcgroup: imported from the AgentCgroup study\'s data', optional: true },
    { key: 'profile', kind: 'text', about: 'resource profile' },
    { key: 'memory_limit_bytes', kind: 'bytes', about: 'memory limit asked for (NULL: none)' },
    { key: 'cpus', kind: 'decimal', about: 'CPU limit asked for (NULL: none)', optional: true },
    { key: 'limits_enforced', kind: 'int', about: '1: the limits read back from the cgroup are the ones asked; 0: not in force (rootless on cgroup v1); NULL: no limit asked', optional: true },
    { key: 'duration_ms', kind: 'ms', about: 'wall time of the run' },
    { key: 'peak_memory_bytes', kind: 'bytes', about: 'largest sampled memory use (runs.peak_memory_bytes)' },
    { key: 'cpu_seconds', kind: 'decimal', about: 'CPU time used by the container' },
    { key: 'oom', kind: 'int', about: '1 when podman reported OOMKilled or the kernel counted oom_kill events' },
    { key: 'input_tokens', kind: 'int', about: 'sum over the trace\'s non-synthetic API responses, subagents included' },
    { key: 'output_tokens', kind: 'int', about: 'same, output' },
    { key: 'cache_creation_input_tokens', kind: 'int', about: 'same, cache writes', optional: true },
    { key: 'cache_read_input_tokens', kind: 'int', about: 'same, cache reads', optional: true },
    { key: 'turns', kind: 'int', about: 'num_turns from the agent\'s result line', optional: true },
    { key: 'tool_calls', kind: 'int', about: 'tool calls in the trace, subagents included (NULL: trace not ingested)' },
    { key: 'patch_bytes', kind: 'bytes', about: 'size of patch.diff (SWE-bench runs)' },
    { key: 'eval_status', kind: 'text', about: 'latest grading: resolved, unresolved, empty_patch, patch_failed, log_invalid, timeout, error (NULL: not graded)' },
    { key: 'resolution', kind: 'text', about: 'latest grading\'s FULL, PARTIAL or NO (NULL when the tests could not be graded)', optional: true },
  ],
  run: runsRows,
};
