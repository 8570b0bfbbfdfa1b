// `tool-resources` and `tool-resources-summary`: what each tool call cost in memory and CPU, from the run's
// cgroup (or /proc) samples inside the call's window [tool_use line, tool_result line].
import { withAttribution, type AttributedFigures } from '../attribution/store.js';
import type { Db } from '../db/open.js';
import { toolCallDetail } from './families.js';
import { runCondition, type RunFilter, type SqlCondition } from './filter.js';
import { groupByToolAndFamily, mergedValues, mergeStoredGroups, parseValues, toolCallKey, type StoredGroupPart, type ToolCallKey } from './groups.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { spread, sum, type Spread } from './stats.js';
import { familyOf, refreshToolWindows } from './stored.js';

export interface SamplePoint {
  t: number;
  memory: number | null;
  cpuUsec: number | null;
}

/** What a run's samples say around one window [start, end]; the SQL in measuredToolCalls gathers it. */
export interface WindowSamples {
  /** Samples with start <= t <= end, and their largest memory_current_bytes. */
  inside: number;
  insidePeak: number | null;
  /** The last sample with t < start. */
  before: SamplePoint | null;
  /** The first sample with t >= start. */
  fromStart: SamplePoint | null;
  /** The last sample with t <= end. */
  toEnd: SamplePoint | null;
  /** The first sample with t > end. */
  after: SamplePoint | null;
}

/**
 * The cumulative CPU counter at `t` from the samples around it (`lo` at or before, `hi` after): linear between
 * them, and the value of the one there is outside the sampled span (CPU used where nothing was sampled is not
 * counted).
 */
export function cpuUsecAt(lo: SamplePoint | null, hi: SamplePoint | null, t: number): number | null {
  if (lo && hi) {
    if (lo.cpuUsec === null || hi.cpuUsec === null) return null;
    return hi.t === lo.t ? lo.cpuUsec : lo.cpuUsec + ((hi.cpuUsec - lo.cpuUsec) * (t - lo.t)) / (hi.t - lo.t);
  }
  return (lo ?? hi)?.cpuUsec ?? null;
}

/**
 * Where a window's figures come from: `inside` — samples taken inside it; `bracketing` — none inside (a call
 * shorter than the interval), so the last sample before and the first after; `none` — no sample inside and
 * none on one side (the call ran outside the sampled span): no figures.
 */
export type WindowCoverage = 'inside' | 'bracketing' | 'none';

export interface WindowUse {
  coverage: WindowCoverage;
  /** Samples taken inside the window. */
  samples: number;
  /** Largest memory_current_bytes of the samples inside (bracketing: of the two bracketing samples). */
  peakMemoryBytes: number | null;
  /** memory_current_bytes of the last sample before the window. */
  memoryBeforeBytes: number | null;
  memoryDeltaBytes: number | null;
  /** CPU counter at the end minus at the start, each interpolated (cpuUsecAt), in seconds. */
  cpuSeconds: number | null;
  /** cpuSeconds over the window's length. */
  avgCores: number | null;
}

const NOT_MEASURED: WindowUse = {
  coverage: 'none',
  samples: 0,
  peakMemoryBytes: null,
  memoryBeforeBytes: null,
  memoryDeltaBytes: null,
  cpuSeconds: null,
  avgCores: null,
};

const maxOf = (values: readonly (number | null)[]) => values.reduce<number | null>((m, v) => (v !== null && (m === null || v > m) ? v : m), null);

export function measureWindow(w: WindowSamples, startMs: number, endMs: number): WindowUse {
  const coverage: WindowCoverage = w.inside > 0 ? 'inside' : w.before && w.after ? 'bracketing' : 'none';
  if (coverage === 'none') return NOT_MEASURED;
  const peak = coverage === 'inside' ? w.insidePeak : maxOf([w.before!.memory, w.after!.memory]);
  const memoryBefore = w.before?.memory ?? null;
  const cpuStart = cpuUsecAt(w.before, w.fromStart, startMs);
  const cpuEnd = cpuUsecAt(w.toEnd, w.after, endMs);
  const cpuSeconds = cpuStart === null || cpuEnd === null ? null : (cpuEnd - cpuStart) / 1e6;
  return {
    coverage,
    samples: w.inside,
    peakMemoryBytes: peak,
    memoryBeforeBytes: memoryBefore,
    memoryDeltaBytes: peak === null || memoryBefore === null ? null : peak - memoryBefore,
    cpuSeconds,
    avgCores: cpuSeconds === null || endMs <= startMs ? null : cpuSeconds / ((endMs - startMs) / 1000),
  };
}

export interface MeasuredToolCall extends ToolCallKey, WindowUse, AttributedFigures {
  runId: string;
  toolUseId: string;
  agentId: string | null;
  detail: string;
  startMs: number | null;
  endMs: number | null;
  /** End of the measured window: endMs, else the run's end (or, while it runs, its last sample). */
  windowEndMs: number | null;
  durationMs: number | null;
  isError: number | null;
}

interface CallRow {
  run_id: string;
  tool_use_id: string;
  agent_id: string | null;
  tool_name: string | null;
  input: string | null;
  command: string | null;
  start_ms: number | null;
  end_ms: number | null;
  window_end: number | null;
  duration_ms: number | null;
  is_error: number | null;
  /** JSON [count, max memory]; the others JSON [t_ms, memory_current_bytes, cpu_usage_usec] or NULL. */
  inside: string;
  before: string | null;
  from_start: string | null;
  to_end: string | null;
  after: string | null;
}

const point = (json: string | null): SamplePoint | null => {
  if (json === null) return null;
  const [t, memory, cpuUsec] = JSON.parse(json) as [number, number | null, number | null];
  return { t, memory, cpuUsec };
};

const samplePoint = (condition: string, order: 'ASC' | 'DESC') =>
  `(SELECT json_array(t_ms, memory_current_bytes, cpu_usage_usec) FROM samples s
    WHERE s.run_id = calls.run_id AND ${condition} ORDER BY s.t_ms ${order} LIMIT 1)`;

/**
 * Every tool call of the selected runs' sessions (subagents included) with its window's figures. SQLite
 * gathers, per call, the count and peak of the samples inside the window and the four samples around its
 * edges (index seeks on samples' (run_id, t_ms) key), so no run's samples are loaded whole.
 */
export function measuredToolCalls(db: Db, filter: RunFilter): MeasuredToolCall[] {
  return measuredToolCallsWhere(db, runCondition(filter, 'r'));
}

/** The same, for the runs (alias `r`) a condition selects. */
export function measuredToolCallsWhere(db: Db, where: SqlCondition): MeasuredToolCall[] {
  const calls = db
    .prepare(
      `WITH calls AS (
         SELECT r.id AS run_id, r.started_at, c.tool_use_id, c.agent_id, c.tool_name, c.input, c.command,
                c.start_ms, c.end_ms, c.duration_ms, c.is_error,
                -- a call without a result is measured to the end of the run (or of its samples, while it runs)
                COALESCE(c.end_ms, r.finished_at, (SELECT MAX(t_ms) FROM samples WHERE run_id = r.id)) AS window_end
         FROM runs r JOIN tool_calls c ON c.session_id = r.session_id
         WHERE ${where.sql})
       SELECT calls.*,
         (SELECT json_array(COUNT(*), MAX(memory_current_bytes)) FROM samples s
          WHERE s.run_id = calls.run_id AND s.t_ms BETWEEN calls.start_ms AND calls.window_end) AS inside,
         ${samplePoint('s.t_ms < calls.start_ms', 'DESC')} AS before,
         ${samplePoint('s.t_ms >= calls.start_ms', 'ASC')} AS from_start,
         ${samplePoint('s.t_ms <= calls.window_end', 'DESC')} AS to_end,
         ${samplePoint('s.t_ms > calls.window_end', 'ASC')} AS after
       FROM calls
       ORDER BY calls.started_at, calls.run_id, calls.start_ms, calls.tool_use_id`,
    )
    .all(where.params) as CallRow[];
  const measured = calls.map((call) => {
    const [inside, insidePeak] = JSON.parse(call.inside) as [number, number | null];
    const window: WindowSamples = { inside, insidePeak, before: point(call.before), fromStart: point(call.from_start), toEnd: point(call.to_end), after: point(call.after) };
    const measurable = call.start_ms !== null && call.window_end !== null && call.window_end >= call.start_ms;
    return {
      ...toolCallKey(call.tool_name, call.command),
      ...(measurable ? measureWindow(window, call.start_ms!, call.window_end!) : NOT_MEASURED),
      runId: call.run_id,
      toolUseId: call.tool_use_id,
      agentId: call.agent_id,
      detail: toolCallDetail(call.input),
      startMs: call.start_ms,
      endMs: call.end_ms,
      windowEndMs: call.window_end,
      durationMs: call.duration_ms,
      isError: call.is_error,
    };
  });
  return withAttribution(db, measured);
}

export function toolResourceRow(c: MeasuredToolCall): Row {
  return {
    run_id: c.runId,
    tool_use_id: c.toolUseId,
    agent_id: c.agentId,
    tool: c.tool,
    family: c.family,
    detail: c.detail,
    start_ms: c.startMs,
    duration_ms: c.durationMs,
    window: c.coverage,
    samples: c.samples,
    peak_memory_bytes: c.peakMemoryBytes,
    memory_before_bytes: c.memoryBeforeBytes,
    memory_delta_bytes: c.memoryDeltaBytes,
    cpu_seconds: c.cpuSeconds,
    avg_cores: c.avgCores,
    tool_peak_rss_bytes: c.toolPeakRssBytes,
    agent_rss_bytes: c.agentRssBytes,
    is_error: c.isError,
  };
}

/** The summary's p50, p95 and max columns of peak memory, memory delta and CPU (live and stored summaries alike). */
function spreadColumns(peak: Spread, delta: Spread, cpu: Spread): Row {
  return {
    peak_memory_p50: peak.p50,
    peak_memory_p95: peak.p95,
    peak_memory_max: peak.max,
    memory_delta_p50: delta.p50,
    memory_delta_p95: delta.p95,
    memory_delta_max: delta.max,
    cpu_seconds_p50: cpu.p50,
    cpu_seconds_p95: cpu.p95,
    cpu_seconds_max: cpu.max,
  };
}

export function toolResourceSummary(calls: MeasuredToolCall[]): Row[] {
  return groupByToolAndFamily(calls).map(({ tool, family, items }) => {
    const measured = items.filter((c) => c.coverage !== 'none');
    const peak = spread(measured.map((c) => c.peakMemoryBytes));
    const delta = spread(measured.map((c) => c.memoryDeltaBytes));
    const cpu = spread(measured.map((c) => c.cpuSeconds));
    return {
      tool,
      family,
      calls: items.length,
      measured: measured.length,
      bracketed: measured.filter((c) => c.coverage === 'bracketing').length,
      ...spreadColumns(peak, delta, cpu),
    };
  });
}

/** tool-resources rows from the stored windows (refreshed first); the same rows toolResourceRow makes. */
export function storedToolResourceRows(db: Db, filter: RunFilter): Row[] {
  refreshToolWindows(db, filter);
  const where = runCondition(filter, 'r');
  const rows = db
    .prepare(
      `SELECT w.*, u.input, a.tool_peak_rss_bytes, a.agent_rss_bytes FROM tool_windows w JOIN runs r ON r.id = w.run_id
       LEFT JOIN tool_uses u ON u.tool_use_id = w.tool_use_id AND u.canonical = 1
       LEFT JOIN tool_attribution a ON a.run_id = w.run_id AND a.tool_use_id = w.tool_use_id
       WHERE ${where.sql}
       ORDER BY r.started_at, w.run_id, w.start_ms, w.tool_use_id`,
    )
    .all(where.params) as (Record<string, number | string | null> & { input: string | null; family: string })[];
  return rows.map((w) => ({
    run_id: w.run_id,
    tool_use_id: w.tool_use_id,
    agent_id: w.agent_id,
    tool: w.tool,
    family: familyOf(w.family),
    detail: toolCallDetail(w.input),
    start_ms: w.start_ms,
    duration_ms: w.duration_ms,
    window: w.coverage,
    samples: w.samples,
    peak_memory_bytes: w.peak_memory_bytes,
    memory_before_bytes: w.memory_before_bytes,
    memory_delta_bytes: w.memory_delta_bytes,
    cpu_seconds: w.cpu_seconds,
    avg_cores: w.avg_cores,
    tool_peak_rss_bytes: w.tool_peak_rss_bytes,
    agent_rss_bytes: w.agent_rss_bytes,
    is_error: w.is_error,
  }));
}

interface StoredWindowGroup extends StoredGroupPart {
  measured: number;
  bracketed: number;
  peak_memory_bytes: string | null;
  memory_delta_bytes: string | null;
  cpu_seconds: string | null;
}

/** tool-resources-summary from the stored per-run groups (refreshed first, summed in SQLite): the rows toolResourceSummary makes. */
export function storedToolResourceSummary(db: Db, filter: RunFilter): Row[] {
  refreshToolWindows(db, filter);
  const where = runCondition(filter, 'r');
  const parts = db
    .prepare(
      `SELECT g.tool, g.family, SUM(g.calls) AS calls, SUM(g.measured) AS measured, SUM(g.bracketed) AS bracketed,
              group_concat(NULLIF(g.peak_memory_bytes, ''), ',') AS peak_memory_bytes,
              group_concat(NULLIF(g.memory_delta_bytes, ''), ',') AS memory_delta_bytes,
              group_concat(NULLIF(g.cpu_seconds, ''), ',') AS cpu_seconds
       FROM tool_window_groups g JOIN runs r ON r.id = g.run_id WHERE ${where.sql} GROUP BY g.tool, g.family`,
    )
    .all(where.params) as StoredWindowGroup[];
  const values = parts.map((g) => ({ ...g, peak: parseValues(g.peak_memory_bytes), delta: parseValues(g.memory_delta_bytes), cpu: parseValues(g.cpu_seconds) }));
  return mergeStoredGroups(values).map(({ tool, family, calls, parts: p }) => {
    const peak = spread(mergedValues(p.map((g) => g.peak)));
    const delta = spread(mergedValues(p.map((g) => g.delta)));
    const cpu = spread(mergedValues(p.map((g) => g.cpu)));
    return {
      tool,
      family,
      calls,
      measured: sum(p.map((g) => g.measured)),
      bracketed: sum(p.map((g) => g.bracketed)),
      ...spreadColumns(peak, delta, cpu),
    };
  });
}

export const toolResourcesQuery: Query = {
  name: 'tool-resources',
  question: 'How much memory and CPU did each tool call take while it ran (between its tool_use and its tool_result)?',
  columns: [
    { key: 'run_id', kind: 'text', about: 'the run', optional: true },
    { key: 'tool_use_id', kind: 'text', about: 'the call', optional: true },
    { key: 'agent_id', kind: 'text', about: 'the subagent that made the call; NULL for the main conversation', optional: true },
    { key: 'tool', kind: 'text', about: 'tool name' },
    { key: 'family', kind: 'text', about: 'Bash only: command family' },
    { key: 'detail', kind: 'text', about: 'the command, file, pattern or description the call was given' },
    { key: 'start_ms', kind: 'time', about: 'time of the tool_use line, epoch ms', optional: true },
    { key: 'duration_ms', kind: 'ms', about: 'tool_use line to tool_result line (NULL: no result; measured to the run\'s end)' },
    { key: 'window', kind: 'text', about: 'inside: samples inside the window; bracketing: none inside, the samples just before and after used; none: not measurable' },
    { key: 'samples', kind: 'int', about: 'samples inside the window', optional: true },
    { key: 'peak_memory_bytes', kind: 'bytes', about: 'largest memory_current_bytes inside the window (bracketing: of the two samples)' },
    { key: 'memory_before_bytes', kind: 'bytes', about: 'memory_current_bytes of the last sample before the window', optional: true },
    { key: 'memory_delta_bytes', kind: 'bytes', about: 'peak_memory_bytes - memory_before_bytes' },
    { key: 'cpu_seconds', kind: 'decimal', about: 'cumulative CPU counter at the end minus at the start, each linearly interpolated between samples' },
    { key: 'avg_cores', kind: 'decimal', about: 'cpu_seconds / window length' },
    { key: 'tool_peak_rss_bytes', kind: 'bytes', about: 'peak RSS of the processes the call started (its command tree), from per-process samples; NULL without them', optional: true },
    { key: 'agent_rss_bytes', kind: 'bytes', about: "the agent's own largest RSS during the call, from per-process samples", optional: true },
    { key: 'is_error', kind: 'int', about: 'the tool_result\'s is_error', optional: true },
  ],
  run: storedToolResourceRows,
};

const perGroup = (metric: string, what: string) =>
  (['p50', 'p95', 'max'] as const).map((stat) => ({ key: `${metric}_${stat}`, about: `${stat} of ${what} over measured calls (nearest rank)` }));

export const toolResourcesSummaryQuery: Query = {
  name: 'tool-resources-summary',
  question: 'Which tools and Bash command families take the most memory and CPU while they run?',
  columns: [
    { key: 'tool', kind: 'text', about: 'tool name' },
    { key: 'family', kind: 'text', about: 'Bash rows only: command family; NULL on the row of all the tool\'s calls' },
    { key: 'calls', kind: 'int', about: 'tool calls' },
    { key: 'measured', kind: 'int', about: 'calls whose window is inside or bracketing', optional: true },
    { key: 'bracketed', kind: 'int', about: 'of those, calls measured from the bracketing samples', optional: true },
    ...perGroup('peak_memory', 'peak_memory_bytes').map((c) => ({ ...c, kind: 'bytes' as const })),
    ...perGroup('memory_delta', 'memory_delta_bytes').map((c) => ({ ...c, kind: 'bytes' as const, optional: c.key.endsWith('p95') })),
    ...perGroup('cpu_seconds', 'cpu_seconds').map((c) => ({ ...c, kind: 'decimal' as const, optional: c.key.endsWith('p95') })),
  ],
  run: storedToolResourceSummary,
};
