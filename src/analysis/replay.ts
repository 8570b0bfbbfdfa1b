// `replay`: a replay's tool calls next to the original calls they played again: time, memory and CPU (the
// tool-resources measures of each side's own run), and whether the replay's result diverged.
import type { Db } from '../db/open.js';
import { toolCallDetail } from './families.js';
import { runCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { measuredToolCalls, type MeasuredToolCall } from './tool-resources.js';

interface LinkRow {
  replay_run_id: string;
  seq: number;
  original_run_id: string | null;
  original_tool_use_id: string;
  replay_tool_use_id: string;
  conversation: string;
  tool_name: string | null;
  diverged: number;
  reasons: string | null;
}

/** Each run's calls by tool_use id, measured once per run. */
function measuresOf(db: Db, runIds: Iterable<string>): Map<string, MeasuredToolCall> {
  const calls = new Map<string, MeasuredToolCall>();
  for (const runId of new Set(runIds)) for (const c of measuredToolCalls(db, { runId })) calls.set(c.toolUseId, c);
  return calls;
}

export function replayRows(db: Db, filter: RunFilter): Row[] {
  const where = runCondition(filter, 'r');
  const links = db
    .prepare(`SELECT t.* FROM replay_tool_calls t JOIN runs r ON r.id = t.replay_run_id WHERE ${where.sql} ORDER BY r.started_at, t.replay_run_id, t.seq`)
    .all(where.params) as LinkRow[];
  const replays = measuresOf(db, links.map((l) => l.replay_run_id));
  const originals = measuresOf(db, links.flatMap((l) => (l.original_run_id ? [l.original_run_id] : [])));
  // A session agentpod did not run has no samples: its calls' times come from the trace alone.
  const traced = db.prepare('SELECT input, duration_ms FROM tool_calls WHERE tool_use_id = ?');
  return links.map((l) => {
    const o = originals.get(l.original_tool_use_id);
    const r = replays.get(l.replay_tool_use_id);
    const bare = o ? undefined : (traced.get(l.original_tool_use_id) as { input: string | null; duration_ms: number | null } | undefined);
    return {
      replay_run_id: l.replay_run_id,
      original_run_id: l.original_run_id,
      seq: l.seq,
      conversation: l.conversation,
      tool: l.tool_name,
      detail: o?.detail ?? r?.detail ?? toolCallDetail(bare?.input),
      original_duration_ms: o?.durationMs ?? bare?.duration_ms ?? null,
      replay_duration_ms: r?.durationMs ?? null,
      original_peak_memory_bytes: o?.peakMemoryBytes ?? null,
      replay_peak_memory_bytes: r?.peakMemoryBytes ?? null,
      original_memory_delta_bytes: o?.memoryDeltaBytes ?? null,
      replay_memory_delta_bytes: r?.memoryDeltaBytes ?? null,
      original_cpu_seconds: o?.cpuSeconds ?? null,
      replay_cpu_seconds: r?.cpuSeconds ?? null,
      diverged: l.diverged,
      reasons: l.reasons,
    };
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
