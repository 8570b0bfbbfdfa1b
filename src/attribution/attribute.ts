// Which processes each tool call started, and what they and the agent used meanwhile (docs/sampler.md,
// Attribution). Pure: the run's processes, their change-only values and the tool calls come in as values.
//
// A call's processes are the groups (the subtree of one child of the agent, as the sampler groups them) whose
// root started inside the call's window; when windows overlap (parallel calls, a subagent's Task), the call
// that started last before the process. Values hold from their row to the process's next row or its last
// sighting; the agent has a row at every per-process tick, so its rows are the ticks figures are taken at.

/** A process may start this much before its call's tool_use line (start times have 10 ms resolution). */
export const START_TOLERANCE_MS = 50;

export interface ProcessRecord {
  id: number;
  kind: 'agent' | 'process' | 'other';
  startMs: number | null;
  groupId: number | null;
  firstSeenMs: number;
  /** NULL when the sampler ended before writing it (agentpod was killed): its last row is used. */
  lastSeenMs: number | null;
  peakRssBytes: number | null;
  cpuUsec: number | null;
}

export interface ValueRecord {
  processId: number;
  tMs: number;
  rssBytes: number | null;
  cpuUsec: number | null;
}

export interface CallWindow {
  toolUseId: string;
  startMs: number | null;
  /** NULL: no result (yet): the window runs to the end of the run. */
  endMs: number | null;
}

export interface CallAttribution {
  toolUseId: string;
  /** Processes the call started (not counting "(other)" rows). */
  processIds: number[];
  processes: number;
  /** Largest sum of the RSS of the call's processes at a tick inside the window; NULL: no tick inside. */
  toolPeakRssBytes: number | null;
  /** RSS of the call's processes still there at the first tick after the window; NULL: no tick after it. */
  toolRemainingRssBytes: number | null;
  toolCpuSeconds: number;
  /** The agent's largest RSS at the ticks inside the window (none inside: at the two ticks around it). */
  agentRssBytes: number | null;
}

export interface StackPoint {
  tMs: number;
  agentRssBytes: number | null;
  toolsRssBytes: number;
  otherRssBytes: number;
}

interface Series {
  process: ProcessRecord;
  rows: ValueRecord[];
  /** Its value ends after this time. */
  until: number;
}

/** The value of a series at t (its last row at or before t), or null when it is not there at t. */
function valueAt(s: Series, t: number, cursor: Map<Series, number>): ValueRecord | null {
  if (t > s.until || s.rows.length === 0 || t < s.rows[0].tMs) return null;
  let i = cursor.get(s) ?? 0;
  if (i >= s.rows.length || s.rows[i].tMs > t) i = 0; // times went backwards: search from the start
  while (i + 1 < s.rows.length && s.rows[i + 1].tMs <= t) i++;
  cursor.set(s, i);
  return s.rows[i];
}

const maxOf = (values: (number | null)[]) => values.reduce<number | null>((m, v) => (v !== null && (m === null || v > m) ? v : m), null);

/** The call each group root belongs to: its start inside the window, the latest-starting call first. */
export function callOfStart(startMs: number, calls: readonly CallWindow[]): CallWindow | null {
  let best: CallWindow | null = null;
  for (const c of calls) {
    if (c.startMs === null || startMs < c.startMs - START_TOLERANCE_MS || (c.endMs !== null && startMs > c.endMs)) continue;
    if (!best || c.startMs > best.startMs!) best = c;
  }
  return best;
}

/** The first index of sorted `ticks` with ticks[i] >= t (or > t when `after`). */
function firstIndex(ticks: readonly number[], t: number, after = false): number {
  let lo = 0;
  let hi = ticks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (after ? ticks[mid] <= t : ticks[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Prepared {
  series: Map<number, Series>;
  agent: Series | null;
  /** The agent's row times: every per-process tick. */
  ticks: number[];
  /** Per call: the series of its processes and their groups' "(other)" rows. */
  membersOf: Map<string, Series[]>;
}

function prepare(processes: readonly ProcessRecord[], values: readonly ValueRecord[], calls: readonly CallWindow[]): Prepared {
  const rowsOf = new Map<number, ValueRecord[]>();
  for (const v of values) {
    let rows = rowsOf.get(v.processId);
    if (!rows) rowsOf.set(v.processId, (rows = []));
    rows.push(v);
  }
  const series = new Map<number, Series>();
  for (const p of processes) {
    const rows = (rowsOf.get(p.id) ?? []).sort((a, b) => a.tMs - b.tMs);
    series.set(p.id, { process: p, rows, until: p.lastSeenMs ?? rows.at(-1)?.tMs ?? p.firstSeenMs });
  }
  const agentProcess = processes.find((p) => p.kind === 'agent');
  const agent = agentProcess ? series.get(agentProcess.id)! : null;
  const callOfGroup = new Map<number, CallWindow>();
  for (const p of processes) {
    if (p.kind !== 'process' || p.groupId !== p.id) continue;
    const call = callOfStart(p.startMs ?? p.firstSeenMs, calls);
    if (call) callOfGroup.set(p.id, call);
  }
  const membersOf = new Map<string, Series[]>();
  for (const s of series.values()) {
    const call = s.process.groupId === null ? undefined : callOfGroup.get(s.process.groupId);
    if (!call) continue;
    let members = membersOf.get(call.toolUseId);
    if (!members) membersOf.set(call.toolUseId, (members = []));
    members.push(s);
  }
  return { series, agent, ticks: agent?.rows.map((r) => r.tMs) ?? [], membersOf };
}

function evaluator() {
  const cursor = new Map<Series, number>();
  return {
    sumAt: (members: readonly Series[], t: number) => members.reduce((sum, s) => sum + (valueAt(s, t, cursor)?.rssBytes ?? 0), 0),
    rssAt: (s: Series | null, t: number) => (s ? (valueAt(s, t, cursor)?.rssBytes ?? null) : null),
  };
}

export function attributeRun(processes: readonly ProcessRecord[], values: readonly ValueRecord[], calls: readonly CallWindow[]): CallAttribution[] {
  const { agent, ticks, membersOf } = prepare(processes, values, calls);
  const { sumAt, rssAt } = evaluator();
  const runEnd = ticks.at(-1) ?? 0;
  return calls.map((call) => {
    const members = membersOf.get(call.toolUseId) ?? [];
    const own = members.filter((s) => s.process.kind === 'process');
    const cpuUsec = members.reduce((sum, s) => sum + (maxOf(s.rows.map((r) => r.cpuUsec)) ?? 0), 0);
    const result: CallAttribution = {
      toolUseId: call.toolUseId,
      processIds: own.map((s) => s.process.id).sort((a, b) => a - b),
      processes: own.length,
      toolPeakRssBytes: null,
      toolRemainingRssBytes: null,
      toolCpuSeconds: cpuUsec / 1e6,
      agentRssBytes: null,
    };
    if (call.startMs === null || ticks.length === 0) return result;
    const end = call.endMs ?? runEnd;
    const first = firstIndex(ticks, call.startMs);
    const afterEnd = firstIndex(ticks, end, true);
    const inside = ticks.slice(first, afterEnd);
    if (inside.length) {
      result.toolPeakRssBytes = Math.max(...inside.map((t) => sumAt(members, t)));
      result.agentRssBytes = maxOf(inside.map((t) => rssAt(agent, t)));
    } else if (first > 0 && afterEnd < ticks.length) {
      result.agentRssBytes = maxOf([rssAt(agent, ticks[first - 1]), rssAt(agent, ticks[afterEnd])]);
    }
    if (afterEnd < ticks.length) result.toolRemainingRssBytes = sumAt(members, ticks[afterEnd]);
    return result;
  });
}

/** At every tick: the agent's RSS, that of the processes tool calls started, and that of all the others. */
export function memoryStack(processes: readonly ProcessRecord[], values: readonly ValueRecord[], calls: readonly CallWindow[]): StackPoint[] {
  const { series, agent, ticks, membersOf } = prepare(processes, values, calls);
  const { sumAt, rssAt } = evaluator();
  const tools = [...membersOf.values()].flat();
  const toolSet = new Set(tools);
  const others = [...series.values()].filter((s) => s !== agent && !toolSet.has(s));
  return ticks.map((t) => ({ tMs: t, agentRssBytes: rssAt(agent, t), toolsRssBytes: sumAt(tools, t), otherRssBytes: sumAt(others, t) }));
}
