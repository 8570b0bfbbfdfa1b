// `tools`: how often each tool (and each kind of Bash command) was called, how long it took, how often it failed.
import type { Db } from '../db/open.js';
import { sessionCondition, type RunFilter } from './filter.js';
import { groupByToolAndFamily, toolCallKey, type ToolCallKey } from './groups.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { rate, spread, sum } from './stats.js';

interface CallTiming extends ToolCallKey {
  durationMs: number | null;
  isError: boolean;
}

export function toolsRows(db: Db, filter: RunFilter): Row[] {
  const where = sessionCondition(filter, 'session_id');
  const calls = (
    db.prepare(`SELECT tool_name, command, duration_ms, is_error FROM tool_calls WHERE ${where.sql}`).all(where.params) as {
      tool_name: string | null;
      command: string | null;
      duration_ms: number | null;
      is_error: number | null;
    }[]
  ).map((c): CallTiming => ({ ...toolCallKey(c.tool_name, c.command), durationMs: c.duration_ms, isError: c.is_error === 1 }));

  return groupByToolAndFamily(calls).map(({ tool, family, items }) => {
    const finished = items.filter((c) => c.durationMs !== null);
    const durations = spread(finished.map((c) => c.durationMs));
    return {
      tool,
      family,
      calls: items.length,
      unfinished: items.length - finished.length,
      error_rate: rate(finished.filter((c) => c.isError).length, finished.length),
      total_ms: sum(finished.map((c) => c.durationMs)),
      p50_ms: durations.p50,
      p95_ms: durations.p95,
      max_ms: durations.max,
    };
  });
}

export const toolsQuery: Query = {
  name: 'tools',
  question: 'Which tools (and which kinds of Bash commands) does the agent call, how long do they take, how often do they fail?',
  columns: [
    { key: 'tool', kind: 'text', about: 'tool name' },
    { key: 'family', kind: 'text', about: 'Bash rows only: the command family (test, install, python, git, search, other); NULL on the row of all the tool\'s calls' },
    { key: 'calls', kind: 'int', about: 'tool calls' },
    { key: 'unfinished', kind: 'int', about: 'calls without a tool_result (still running, or the run ended first)', optional: true },
    { key: 'error_rate', kind: 'fraction', about: 'finished calls whose tool_result has is_error, over finished calls' },
    { key: 'total_ms', kind: 'ms', about: 'sum of the finished calls\' durations (tool_use line to tool_result line)' },
    { key: 'p50_ms', kind: 'ms', about: 'median duration (nearest rank)' },
    { key: 'p95_ms', kind: 'ms', about: '95th percentile duration (nearest rank)' },
    { key: 'max_ms', kind: 'ms', about: 'longest call', optional: true },
  ],
  run: toolsRows,
};
