// `tools`: how often each tool (and each kind of Bash command) was called, how long it took, how often it failed.
import type { Db } from '../db/open.js';
import type { RunFilter } from './filter.js';
import { mergedValues, mergeStoredGroups, parseValues } from './groups.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { rate, spread, sum } from './stats.js';
import { storedCallGroups } from './stored.js';

export function toolsRows(db: Db, filter: RunFilter): Row[] {
  const groups = storedCallGroups(db, filter).map((g) => ({ ...g, durations: parseValues(g.durations_ms) }));
  return mergeStoredGroups(groups).map(({ tool, family, calls, parts }) => {
    const finished = sum(parts.map((p) => p.calls - p.unfinished));
    const durations = spread(mergedValues(parts.map((p) => p.durations)));
    return {
      tool,
      family,
      calls,
      unfinished: calls - finished,
      error_rate: rate(sum(parts.map((p) => p.errors)), finished),
      total_ms: sum(parts.map((p) => p.total_ms)),
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
