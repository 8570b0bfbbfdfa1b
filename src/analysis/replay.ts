// `replay`: a replay's tool calls next to the original calls they played again: time, memory and CPU (the
// tool-resources measures of each side's own run), and whether the replay's result diverged.
import type { Db } from '../db/open.js';
import { toolCallDetail } from './families.js';
import { runCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { refreshToolWindowsWhere } from './stored.js';

export function replayRows(db: Db, filter: RunFilter): Row[] {
  const where = runCondition(filter, 'r');
  // Both sides' figures are the stored tool windows `tool-resources` reads, brought up to date first.
  const sides = runCondition(filter, 'p');
  refreshToolWindowsWhere(db, {
    sql: `r.id IN (SELECT t.replay_run_id FROM replay_tool_calls t JOIN runs p ON p.id = t.replay_run_id WHERE ${sides.sql}
                   UNION SELECT t.original_run_id FROM replay_tool_calls t JOIN runs p ON p.id = t.replay_run_id WHERE ${sides.sql})`,
    params: sides.params,
  });
  // A session agentpod did not run has no samples: its calls' times come from the trace alone (tool_calls).
  return db
    .prepare(
      `SELECT t.replay_run_id, t.original_run_id, t.seq, t.conversation, t.tool_name AS tool,
              COALESCE(o.input, c.input) AS input,
              o.duration_ms AS original_duration_ms, rw.duration_ms AS replay_duration_ms,
              ow.peak_memory_bytes AS original_peak_memory_bytes, rw.peak_memory_bytes AS replay_peak_memory_bytes,
              ow.memory_delta_bytes AS original_memory_delta_bytes, rw.memory_delta_bytes AS replay_memory_delta_bytes,
              ow.cpu_seconds AS original_cpu_seconds, rw.cpu_seconds AS replay_cpu_seconds,
              t.diverged, t.reasons
       FROM replay_tool_calls t JOIN runs r ON r.id = t.replay_run_id
       LEFT JOIN tool_calls o ON o.tool_use_id = t.original_tool_use_id
       LEFT JOIN tool_calls c ON c.tool_use_id = t.replay_tool_use_id
       LEFT JOIN tool_windows ow ON ow.run_id = t.original_run_id AND ow.tool_use_id = t.original_tool_use_id
       LEFT JOIN tool_windows rw ON rw.run_id = t.replay_run_id AND rw.tool_use_id = t.replay_tool_use_id
       WHERE ${where.sql}
       ORDER BY r.started_at, t.replay_run_id, t.seq`,
    )
    .all(where.params)
    .map((row) => {
      const { replay_run_id, original_run_id, seq, conversation, tool, input, ...figures } = row as Row & { input: string | null };
      return { replay_run_id, original_run_id, seq, conversation, tool, detail: toolCallDetail(input), ...figures };
    });
}

export const replayQuery: Query = {
  name: 'replay',
  question: 'Did each tool call of a replay come out as in the original, and what did it take in time, memory and CPU on each side?',
  columns: [
    { key: 'replay_run_id', kind: 'text', about: 'the replay run', optional: true },
    { key: 'original_run_id', kind: 'text', about: 'the run it replays (NULL: a session agentpod did not run)', optional: true },
    { key: 'seq', kind: 'int', about: 'the call\'s place in the replay script (main conversation first, then each subagent)' },
    { key: 'conversation', kind: 'text', about: 'main, agent:<id> (Claude Code 2.1 subagent) or sidechain:<uuid> (2.0)', optional: true },
    { key: 'tool', kind: 'text', about: 'tool name' },
    { key: 'detail', kind: 'text', about: 'the command, file, pattern or description the call was given' },
    { key: 'original_duration_ms', kind: 'ms', about: 'the original call: tool_use line to tool_result line' },
    { key: 'replay_duration_ms', kind: 'ms', about: 'the replayed call, the same way (NULL: not made, or no result)' },
    { key: 'original_peak_memory_bytes', kind: 'bytes', about: 'tool-resources peak_memory_bytes of the original call' },
    { key: 'replay_peak_memory_bytes', kind: 'bytes', about: 'tool-resources peak_memory_bytes of the replayed call' },
    { key: 'original_memory_delta_bytes', kind: 'bytes', about: 'tool-resources memory_delta_bytes of the original call', optional: true },
    { key: 'replay_memory_delta_bytes', kind: 'bytes', about: 'tool-resources memory_delta_bytes of the replayed call', optional: true },
    { key: 'original_cpu_seconds', kind: 'decimal', about: 'tool-resources cpu_seconds of the original call', optional: true },
    { key: 'replay_cpu_seconds', kind: 'decimal', about: 'tool-resources cpu_seconds of the replayed call', optional: true },
    { key: 'diverged', kind: 'int', about: '1 when the replay\'s result differs from the original\'s (see reasons)' },
    { key: 'reasons', kind: 'text', about: 'missing, no-result, error (is_error), exit-code (Bash), oom-kill (cgroup OOM kills during the call), output (hash)' },
  ],
  run: replayRows,
};
