// `agentpod report RUN_ID`: one run on one page — memory and CPU over time with the limits, tool calls on the
// same time axis, OOM and throttle events, the run's summary, its tool tables and its patch.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { humanCell, type Cell, type Column, type Row } from '../analysis/output.js';
import { measuredToolCalls, toolResourceRow, toolResourceSummary, toolResourcesQuery, toolResourcesSummaryQuery, type MeasuredToolCall } from '../analysis/tool-resources.js';
import { runsRows } from '../analysis/runs.js';
import type { StackPoint } from '../attribution/attribute.js';
import { runMemoryStack } from '../attribution/store.js';
import { limitEvents, readingLine, type LimitEvent } from '../control/events.js';
import { pressureLine, type RunPressure } from '../control/pressure.js';
import { toolsQuery, toolsRows } from '../analysis/tools.js';
import type { Db } from '../db/open.js';
import type { EvaluationRow } from '../grading/store.js';
import { ConfigError } from '../errors.js';
import { formatBytes, formatDuration } from '../units.js';
import { CHART_WIDTH, stackedAreaChart, timeAxis, timeSeriesChart, toolSpansChart, type LevelLine, type Marker, type TimeAxis, type ToolSpan } from './charts.js';
import { fragment, h, type Child, type Html } from './html.js';
import { keyValueTable, note, page, rowsTable, section } from './page.js';
import { byteTicks, niceTicks } from './svg.js';

export interface RunSample {
  t_ms: number;
  memory_current_bytes: number | null;
  memory_working_set_bytes: number | null;
  memory_events_oom_kill: number | null;
  cpu_nr_throttled: number | null;
}

export interface RunReportData {
  run: Record<string, Cell>;
  /** The run's line of the runs query (tokens and tool calls from the trace). */
  runLine: Row;
  samples: RunSample[];
  cpuCores: { t_ms: number; cpu_cores: number | null }[];
  /** The run's session is in the trace tables. */
  hasTrace: boolean;
  calls: MeasuredToolCall[];
  tools: Row[];
  patch: { text: string; bytes: number } | null;
  /** RSS by owner at each per-process tick (empty or absent without per-process samples). */
  stack?: StackPoint[];
  /** Limits read back at the start and every change during the run (limit_events). */
  limitEvents?: LimitEvent[];
  /** The run_controls row: soft limits asked for, memory pressure. */
  controls?: Record<string, Cell> | null;
  /** Every grading of the run, latest last; with the latest one's test-run samples. */
  evaluations: EvaluationRow[];
  evalSamples: RunSample[];
  /** A replay's original run: its memory curve, shifted to start when the replay started. */
  original?: { runId: string; samples: { t_ms: number; memory_current_bytes: number | null }[] } | null;
}

/** patch.diff beyond this is cut in the page (the file keeps all of it). */
const PATCH_SHOWN_BYTES = 1024 * 1024;

function readPatch(runDir: Cell): RunReportData['patch'] {
  if (typeof runDir !== 'string') return null;
  const file = join(runDir, 'patch.diff');
  if (!existsSync(file)) return null;
  const bytes = statSync(file).size;
  return { text: readFileSync(file).subarray(0, PATCH_SHOWN_BYTES).toString('utf8'), bytes };
}

export function loadRunReport(db: Db, runId: string): RunReportData {
  const run = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Record<string, Cell> | undefined;
  if (!run) throw new ConfigError(`no run ${runId} in the database`);
  const filter = { runId };
  return {
    run,
    runLine: runsRows(db, filter)[0],
    samples: db
      .prepare('SELECT t_ms, memory_current_bytes, memory_working_set_bytes, memory_events_oom_kill, cpu_nr_throttled FROM samples WHERE run_id = ? ORDER BY t_ms')
      .all(runId) as RunSample[],
    // Imported samples have podman's CPU % instead of a cumulative counter (docs/characterization.md).
    cpuCores: db
      .prepare(
        `SELECT r.t_ms, COALESCE(r.cpu_cores, (SELECT s.cpu_percent / 100.0 FROM samples s WHERE s.run_id = r.run_id AND s.t_ms = r.t_ms)) AS cpu_cores
         FROM sample_rates r WHERE r.run_id = ? ORDER BY r.t_ms`,
      )
      .all(runId) as RunReportData['cpuCores'],
    hasTrace: db.prepare('SELECT 1 FROM session_facts WHERE session_id = ?').get(run.session_id) !== undefined,
    calls: measuredToolCalls(db, filter),
    tools: toolsRows(db, filter),
    patch: readPatch(run.run_dir),
    stack: runMemoryStack(db, runId),
    limitEvents: limitEvents(db, runId),
    controls: (db.prepare('SELECT * FROM run_controls WHERE run_id = ?').get(runId) as Record<string, Cell> | undefined) ?? null,
    original: loadOriginalCurve(db, run),
    ...loadEvaluations(db, runId),
  };
}

function loadOriginalCurve(db: Db, run: Record<string, Cell>): RunReportData['original'] {
  const original = db
    .prepare('SELECT o.id, o.started_at FROM replays p JOIN runs o ON o.id = p.original_run_id WHERE p.run_id = ?')
    .get(run.id) as { id: string; started_at: number } | undefined;
  if (!original) return null;
  const shift = Number(run.started_at) - original.started_at;
  const samples = db.prepare('SELECT t_ms + ? AS t_ms, memory_current_bytes FROM samples WHERE run_id = ? ORDER BY t_ms').all(shift, original.id) as { t_ms: number; memory_current_bytes: number | null }[];
  return { runId: original.id, samples };
}

function loadEvaluations(db: Db, runId: string): Pick<RunReportData, 'evaluations' | 'evalSamples'> {
  const evaluations = db.prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY attempt').all(runId) as EvaluationRow[];
  const latest = evaluations.at(-1);
  const evalSamples = latest
    ? (db.prepare('SELECT t_ms, memory_current_bytes, memory_working_set_bytes, memory_events_oom_kill, cpu_nr_throttled FROM samples WHERE run_id = ? ORDER BY t_ms').all(latest.id) as RunSample[])
    : [];
  return { evaluations, evalSamples };
}

const MEMORY_KEYS = ['memory', 'memory-swap', 'memory-high', 'memory-low'];

/** One marker per change during the run (start readings are the level lines), memory keys or CPU keys. */
function limitMarkers(events: LimitEvent[] | undefined, memory: boolean): Marker[] {
  const changes = new Map<string, LimitEvent[]>();
  for (const e of events ?? []) {
    if (e.origin === 'start' || MEMORY_KEYS.includes(e.key) !== memory) continue;
    const key = `${e.t_ms} ${e.origin}`;
    changes.set(key, [...(changes.get(key) ?? []), e]);
  }
  return [...changes.values()].map((group) => ({
    tMs: group[0].t_ms,
    className: 'limit-marker',
    label: `${group[0].origin === 'command' ? 'agentpod limits' : 'schedule'}: ${group
      .filter((e) => e.key !== 'memory-swap')
      .map((e) => readingLine({ ...e, file: null, readBack: e.read_back, confirmed: e.confirmed === null ? null : e.confirmed === 1, note: null }))
      .join(', ')}`,
  }));
}

/** memory.high asked at the start, as a level line. */
function memoryHighLevel(d: RunReportData): LevelLine[] {
  const high = num(d.controls?.memory_high_bytes ?? undefined);
  if (high === null) return [];
  const start = d.limitEvents?.find((e) => e.origin === 'start' && e.key === 'memory-high');
  return [{ value: high, label: `memory.high ${formatBytes(high)} (${start?.confirmed === 1 ? 'in force' : 'NOT in force on this host'})` }];
}

/** The samples at which a cumulative counter went up, and by how much. */
export function counterIncrements<K extends string>(samples: readonly ({ t_ms: number } & Record<K, number | null>)[], key: K): { tMs: number; by: number }[] {
  const out: { tMs: number; by: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const [prev, cur] = [samples[i - 1][key], samples[i][key]];
    if (prev !== null && cur !== null && cur > prev) out.push({ tMs: samples[i].t_ms, by: cur - prev });
  }
  return out;
}

/** Headroom above the largest value or limit, so a limit line and its label stay inside the chart. */
function valueAxis(max: number, ticks: (max: number) => number[]): { yMax: number; yTicks: number[] } {
  const yMax = max * 1.15;
  return { yMax, yTicks: ticks(yMax) };
}

/** Events closer than `gapMs` merged into the first of them, their counts summed (one marker per pixel, not thousands). */
export function mergeEvents(events: readonly { tMs: number; by: number }[], gapMs: number): { tMs: number; by: number }[] {
  const out: { tMs: number; by: number }[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last && e.tMs - last.tMs < gapMs) last.by += e.by;
    else out.push({ ...e });
  }
  return out;
}

/** The time one pixel of the chart covers. */
const msPerPixel = (axis: TimeAxis) => (axis.x.domain[1] - axis.x.domain[0]) / CHART_WIDTH;

const num = (v: Cell | undefined): number | null => (typeof v === 'number' ? v : null);

function limitNote(enforced: Cell | undefined): string {
  if (enforced === 1) return 'enforced';
  if (enforced === 0) return 'NOT enforced on this host';
  return 'enforcement unknown';
}

/** The time axis: the run's start to its end, widened to every sample and tool call. */
function runAxis(d: RunReportData): TimeAxis {
  const started = num(d.run.started_at)!;
  const overlay = d.original?.samples ?? [];
  const times = [started, num(d.run.finished_at), ...d.samples.map((s) => s.t_ms), ...overlay.map((s) => s.t_ms), ...d.calls.flatMap((c) => [c.startMs, c.endMs])].filter((t): t is number => t !== null);
  return timeAxis(Math.min(...times), Math.max(...times), started);
}

function memoryChart(d: RunReportData, axis: TimeAxis): Html {
  const limit = num(d.run.memory_limit_bytes);
  const overlay = d.original?.samples.length ? d.original : null;
  const values = [...d.samples.flatMap((s) => [s.memory_current_bytes, s.memory_working_set_bytes]), ...(overlay?.samples.map((s) => s.memory_current_bytes) ?? [])].filter((v): v is number => v !== null);
  const markers: Marker[] = mergeEvents(counterIncrements(d.samples, 'memory_events_oom_kill'), msPerPixel(axis)).map((e) => ({ tMs: e.tMs, label: `OOM kill${e.by > 1 ? ` ×${e.by}` : ''}`, className: 'oom-marker' }));
  if (d.run.oom_killed === 1 && markers.length === 0) {
    markers.push({ tMs: num(d.run.finished_at) ?? d.samples.at(-1)!.t_ms, label: 'OOM-killed (podman)', className: 'oom-marker' });
  }
  return timeSeriesChart({
    title: 'Memory',
    className: 'memory',
    axis,
    series: [
      { label: 'memory.current', className: 'memory-current', points: d.samples.map((s) => ({ x: s.t_ms, y: s.memory_current_bytes })) },
      { label: 'working set', className: 'working-set', points: d.samples.map((s) => ({ x: s.t_ms, y: s.memory_working_set_bytes })) },
      ...(overlay ? [{ label: 'original run', className: 'original-memory', points: overlay.samples.map((s) => ({ x: s.t_ms, y: s.memory_current_bytes })) }] : []),
    ],
    ...valueAxis(Math.max(...values, limit ?? 0, 1), byteTicks),
    yLabel: formatBytes,
    levels: [...(limit === null ? [] : [{ value: limit, label: `limit ${formatBytes(limit)} (${limitNote(d.run.limits_enforced)})` }]), ...memoryHighLevel(d)],
    markers: [...markers, ...limitMarkers(d.limitEvents, true)],
    height: 280,
  });
}

/** The agent's own memory and its tools' (the processes tool calls started), stacked: who used the memory. */
function memoryStackChart(stack: StackPoint[], d: RunReportData, axis: TimeAxis): Html {
  const limit = num(d.run.memory_limit_bytes);
  const peak = Math.max(...stack.map((p) => (p.agentRssBytes ?? 0) + p.toolsRssBytes + p.otherRssBytes), limit ?? 0, 1);
  return stackedAreaChart({
    title: 'Memory by process (RSS)',
    className: 'memory-stack',
    axis,
    xs: stack.map((p) => p.tMs),
    layers: [
      { label: 'agent', className: 'agent', values: stack.map((p) => p.agentRssBytes) },
      { label: 'tool calls', className: 'tools', values: stack.map((p) => p.toolsRssBytes) },
      { label: 'other processes', className: 'other-processes', values: stack.map((p) => p.otherRssBytes) },
    ],
    ...valueAxis(peak, byteTicks),
    yLabel: formatBytes,
    levels: limit === null ? [] : [{ value: limit, label: `limit ${formatBytes(limit)} (${limitNote(d.run.limits_enforced)})` }],
    markers: [],
    height: 240,
  });
}

function cpuChart(d: RunReportData, axis: TimeAxis): Html {
  const cpus = num(d.run.cpus);
  const peak = Math.max(...d.cpuCores.map((r) => r.cpu_cores ?? 0), cpus ?? 0, 0.1);
  const intervals = (n: number) => `${n} sampling interval${n === 1 ? '' : 's'}`;
  const throttled = counterIncrements(d.samples, 'cpu_nr_throttled');
  const throttles = mergeEvents(throttled, msPerPixel(axis));
  return timeSeriesChart({
    title: `CPU (cores)${throttled.length ? ` — throttled in ${intervals(throttled.length)}` : ''}`,
    className: 'cpu',
    axis,
    series: [{ label: d.run.sample_source === 'podman-stats' ? 'cores (podman, since start)' : 'cores used', className: 'cpu', points: d.cpuCores.map((r) => ({ x: r.t_ms, y: r.cpu_cores })) }],
    ...valueAxis(peak, (max) => niceTicks(0, max, 4)),
    yLabel: (v) => String(v),
    levels: cpus === null ? [] : [{ value: cpus, label: `cpus ${cpus} (${limitNote(d.run.limits_enforced)})` }],
    markers: [...throttles.map((e): Marker => ({ tMs: e.tMs, label: `throttled ${e.by} period${e.by > 1 ? 's' : ''}`, className: 'throttle-marker' })), ...limitMarkers(d.limitEvents, false)],
    height: 200,
  });
}

function toolSpans(calls: MeasuredToolCall[]): ToolSpan[] {
  return calls
    .filter((c) => c.startMs !== null)
    .map((c) => ({
      toolUseId: c.toolUseId,
      tool: c.tool,
      label: c.detail ? `${c.tool}: ${c.detail.replace(/\s+/g, ' ')}` : c.tool,
      title: [
        `${c.tool}${c.family ? ` (${c.family})` : ''}${c.agentId ? ` — subagent ${c.agentId}` : ''}${c.isError === 1 ? ' — error' : ''}`,
        c.detail.slice(0, 500),
        `${c.durationMs === null ? 'no result' : formatDuration(c.durationMs)} · peak ${formatBytes(c.peakMemoryBytes)} · Δ ${formatBytes(c.memoryDeltaBytes)} · CPU ${c.cpuSeconds === null ? '-' : `${c.cpuSeconds.toFixed(2)} s`} (${c.coverage})`,
      ]
        .filter(Boolean)
        .join('\n'),
      startMs: c.startMs!,
      endMs: c.endMs,
      subagent: c.agentId !== null,
    }));
}

function summary(d: RunReportData): Html {
  const r = d.run;
  const v = (key: string, kind: Column['kind']) => humanCell(r[key] ?? null, kind);
  const line = (key: string) => humanCell(d.runLine[key] ?? null, 'int');
  const throttledUsec = num(r.throttled_usec);
  const pairs: [string, Child][] = [
    ['status', h('span', { class: `status-${String(r.status)}` }, String(r.status))],
    ['exit code / signal', `${v('exit_code', 'int')} / ${v('signal', 'text')}`],
    ['error', v('error', 'text')],
    ['profile', v('profile', 'text')],
    ['image', v('image', 'text')],
    ['model', v('model', 'text')],
    ['started', v('started_at', 'time')],
    ['duration', v('duration_ms', 'ms')],
    ['memory limit / swap', `${v('memory_limit_bytes', 'bytes')} / ${v('memory_swap_limit_bytes', 'bytes')}`],
    ['cpus / pids / timeout', `${v('cpus', 'decimal')} / ${v('pids_limit', 'int')} / ${v('timeout_ms', 'ms')}`],
    ['limits enforced', `${limitNote(r.limits_enforced)} (memory.max read ${v('memory_max_read', 'text')}, cpu.max read ${v('cpu_max_read', 'text')})`],
    ['samples', d.samples.length ? `${d.samples.length} from ${v('sample_source', 'text')}, every ${v('sample_interval_ms', 'ms')}` : 'none'],
    ['peak memory (sampled / working set / kernel)', `${v('peak_memory_bytes', 'bytes')} / ${v('peak_working_set_bytes', 'bytes')} / ${v('kernel_peak_memory_bytes', 'bytes')}`],
    ['CPU time / throttled', `${humanCell(num(r.cpu_seconds) === null ? null : num(r.cpu_seconds)! * 1000, 'ms')} / ${humanCell(throttledUsec === null ? null : throttledUsec / 1000, 'ms')}`],
    ['OOM events / kills / podman OOMKilled', `${v('oom_events', 'int')} / ${v('oom_kill_events', 'int')} / ${v('oom_killed', 'int')}`],
    ['memory-high / memory-low / cpu-weight', d.controls ? `${humanCell(d.controls.memory_high_bytes ?? null, 'bytes')} / ${humanCell(d.controls.memory_low_bytes ?? null, 'bytes')} / ${humanCell(d.controls.cpu_weight ?? null, 'int')}` : '-'],
    ['memory pressure', d.controls ? pressureLine(num(d.controls.memory_high_bytes ?? undefined), controlsPressure(d.controls)) : '-'],
    ['turns / tool calls', `${v('num_turns', 'int')} / ${line('tool_calls')}`],
    ['tokens in / out / cache write / cache read', ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'].map(line).join(' / ')],
    ['patch', r.patch_bytes === null || r.patch_bytes === undefined ? '-' : `${v('patch_bytes', 'bytes')} in ${v('patch_files', 'int')} files`],
    ['batch / instance / trial', `${v('batch_id', 'text')} / ${v('instance_id', 'text')} / ${v('trial_index', 'int')}`],
    ['session', v('session_id', 'text')],
    ['run folder', v('run_dir', 'text')],
  ];
  return keyValueTable(pairs);
}

const controlsPressure = (c: Record<string, Cell>): RunPressure => ({
  memoryHighEvents: num(c.memory_high_events ?? undefined),
  memoryMaxEvents: num(c.memory_max_events ?? undefined),
  memoryStallSomeUsec: num(c.memory_stall_some_usec ?? undefined),
  memoryStallFullUsec: num(c.memory_stall_full_usec ?? undefined),
});

const LIMIT_EVENT_COLUMNS: Column[] = [
  { key: 'at_ms', kind: 'ms', about: 'after the start of the run' },
  { key: 'origin', kind: 'text', about: 'start: read back once the container ran; command: agentpod limits; schedule: the profile\'s schedule' },
  { key: 'key', kind: 'text', about: 'the limit' },
  { key: 'requested', kind: 'text', about: 'bytes, CPUs or weight asked for (max: none)' },
  { key: 'read_back', kind: 'text', about: 'the cgroup file after the change' },
  { key: 'confirmed', kind: 'int', about: '1 read back as asked, 0 not, - not readable' },
  { key: 'note', kind: 'text', about: 'why not' },
];

const EVAL_COLUMNS: Column[] = [
  { key: 'attempt', kind: 'int', about: 'grading attempt' },
  { key: 'status', kind: 'text', about: 'verdict' },
  { key: 'resolution', kind: 'text', about: 'FULL, PARTIAL or NO' },
  { key: 'f2p', kind: 'text', about: 'FAIL_TO_PASS passing / listed' },
  { key: 'p2p', kind: 'text', about: 'PASS_TO_PASS passing / listed' },
  { key: 'test_exit_code', kind: 'int', about: 'the test command\'s exit code' },
  { key: 'parser', kind: 'text', about: 'log parser' },
  { key: 'duration_ms', kind: 'ms', about: 'grading wall time' },
  { key: 'peak_memory_bytes', kind: 'bytes', about: 'test run\'s peak memory' },
  { key: 'finished_at', kind: 'time', about: 'when it ended' },
];

const ratio = (ok: number | null | undefined, bad: number | null | undefined) => (ok === null || ok === undefined ? null : `${ok}/${ok + (bad ?? 0)}`);

function failingTests(e: EvaluationRow): Child {
  if (!e.tests_status) return null;
  const status = JSON.parse(e.tests_status) as Record<'FAIL_TO_PASS' | 'PASS_TO_PASS', { failure: string[] }>;
  const lists = (['FAIL_TO_PASS', 'PASS_TO_PASS'] as const).filter((k) => status[k].failure.length > 0);
  if (lists.length === 0) return note('Every listed test passes.');
  return fragment(...lists.map((k) => fragment(h('h3', {}, `${k} failing (${status[k].failure.length})`), h('pre', { class: 'tests' }, status[k].failure.join('\n')))));
}

/** The verdict, the failing tests, the gradings, and the latest test run's memory on its own time axis. */
function verdictSection(d: RunReportData): Html {
  const latest = d.evaluations.at(-1);
  if (!latest) return section('Verdict', note('Not graded (agentpod grade RUN_ID grades it).'));
  const samples = d.evalSamples;
  const chart = samples.length
    ? timeSeriesChart({
        title: 'Memory of the test run',
        className: 'memory',
        axis: timeAxis(Math.min(latest.started_at, ...samples.map((x) => x.t_ms)), Math.max(latest.finished_at, ...samples.map((x) => x.t_ms)), latest.started_at),
        series: [{ label: 'memory', className: 'memory-current', points: samples.map((x) => ({ x: x.t_ms, y: x.memory_current_bytes })) }],
        ...valueAxis(Math.max(...samples.map((x) => x.memory_current_bytes ?? 0), latest.memory_limit_bytes ?? 0, 1), byteTicks),
        yLabel: formatBytes,
        levels: latest.memory_limit_bytes === null ? [] : [{ value: latest.memory_limit_bytes, label: `limit ${formatBytes(latest.memory_limit_bytes)}` }],
        markers: [],
        height: 200,
      })
    : note('No samples of the test run.');
  return section(
    'Verdict',
    h('p', { class: `verdict status-${latest.status}` }, h('strong', {}, latest.status), ` — ${latest.message}`),
    failingTests(latest),
    chart,
    rowsTable(EVAL_COLUMNS, d.evaluations.map((e) => ({ ...e, f2p: ratio(e.f2p_success, e.f2p_failure), p2p: ratio(e.p2p_success, e.p2p_failure) }) as unknown as Row)),
    note(`Files of the latest grading: ${latest.eval_dir} (eval.sh, test_output.txt, report.json, apply.log).`),
  );
}

/** The per-call table of the page: the time after the run's start instead of ids and epoch times. */
const CALL_COLUMNS: Column[] = [
  { key: 'at_ms', kind: 'ms', about: 'start of the call after the start of the run' },
  ...toolResourcesQuery.columns.filter((c) => !['run_id', 'tool_use_id', 'start_ms'].includes(c.key)),
];

export function renderRunReport(d: RunReportData): string {
  const axis = runAxis(d);
  const runId = String(d.run.id);
  const charts: Child[] = d.samples.length
    ? [memoryChart(d, axis), d.stack?.length ? memoryStackChart(d.stack, d, axis) : null, cpuChart(d, axis)]
    : [note(`No resource samples were recorded for this run (sample source: ${humanCell(d.run.sample_source ?? null, 'text')}): no memory or CPU chart.`)];
  const calls: Child[] = !d.hasTrace
    ? [note(`No trace of session ${String(d.run.session_id)} is in the database: run agentpod ingest on the run's trace to see its tool calls.`)]
    : d.calls.length
      ? [toolSpansChart(axis, toolSpans(d.calls))]
      : [note('The trace has no tool calls.')];
  const tables: Child[] = d.calls.length
    ? [
        h('h3', {}, 'Per tool'),
        rowsTable(toolsQuery.columns, d.tools),
        h('h3', {}, 'Memory and CPU per tool'),
        rowsTable(toolResourcesSummaryQuery.columns, toolResourceSummary(d.calls)),
        h('h3', {}, 'Each call'),
        rowsTable(CALL_COLUMNS, d.calls.map((c) => ({ ...toolResourceRow(c), at_ms: c.startMs === null ? null : c.startMs - Number(d.run.started_at) })), { class: 'calls' }),
      ]
    : [note('No tool calls.')];
  return page(
    `agentpod run ${runId}`,
    h('h1', {}, `Run ${runId}`),
    h('p', { class: 'sub' }, `${String(d.run.status)}${d.evaluations.length ? ` · ${d.evaluations.at(-1)!.status}` : ''} · profile ${String(d.run.profile)} · ${humanCell(d.run.started_at ?? null, 'time')} · time axis: from the run's start`),
    d.original ? note(`A replay of run ${d.original.runId}: the memory chart overlays the original's memory.current, shifted to start when this run started (agentpod query replay --run ${runId} compares each tool call).`) : null,
    verdictSection(d),
    section('Resources over time', ...charts, ...calls),
    section('Summary', summary(d)),
    d.limitEvents?.length
      ? section('Limits', rowsTable(LIMIT_EVENT_COLUMNS, d.limitEvents.map((e) => ({ ...e, at_ms: e.t_ms - Number(d.run.started_at) }))))
      : null,
    section('Tools', ...tables),
    section(
      'Patch',
      d.patch
        ? fragment(d.patch.bytes > PATCH_SHOWN_BYTES ? note(`First ${formatBytes(PATCH_SHOWN_BYTES)} of ${formatBytes(d.patch.bytes)}.`) : null, h('pre', { class: 'patch' }, d.patch.text))
        : note('No patch.diff in the run folder.'),
    ),
  );
}
