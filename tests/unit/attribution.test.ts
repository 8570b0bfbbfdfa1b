// Attribution of processes to tool calls: the pure calculation on hand-made process trees, then the stored
// attribution and the queries (tool-resources' two columns, tool-processes) on the real fixture trace.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findQuery } from '../../src/analysis/index.js';
import { attributeRun, callOfStart, memoryStack, type CallWindow, type ProcessRecord, type ValueRecord } from '../../src/attribution/attribute.js';
import { runMemoryStack } from '../../src/attribution/store.js';
import type { Db } from '../../src/db/open.js';
import { analysisDb, FIXTURE_SESSION, ingestFixtureTrace, insertRun } from '../helpers/analysis-db.js';

const MiB = 2 ** 20;

function proc(id: number, kind: ProcessRecord['kind'], startMs: number | null, groupId: number | null, firstSeenMs: number, lastSeenMs: number | null): ProcessRecord {
  return { id, kind, startMs, groupId, firstSeenMs, lastSeenMs, peakRssBytes: null, cpuUsec: null };
}
const rows = (processId: number, points: [number, number, number?][]): ValueRecord[] =>
  points.map(([tMs, rssMiB, cpuUsec]) => ({ processId, tMs, rssBytes: rssMiB * MiB, cpuUsec: cpuUsec ?? 0 }));
const agentTicks = (from: number, to: number, rssMiB: (t: number) => number) => {
  const out: [number, number][] = [];
  for (let t = from; t <= to; t += 100) out.push([t, rssMiB(t)]);
  return rows(1, out);
};

describe('attributing processes to calls (pure)', () => {
  // The agent (1) ticks every 100 ms. A Task call 1100–1900 runs a Bash call 1200–1600 whose shell (2, folded
  // into its group's (other) row 3) starts python (4), which peaks at 120 MiB and exits at 1500. A Read call
  // 1710–1750 falls between two ticks. A process (5) the agent starts at 1950, outside any call, is its own.
  const processes = [
    proc(1, 'agent', 0, null, 1000, 2100),
    proc(2, 'process', 1210, 2, 1300, 1500),
    proc(3, 'other', null, 2, 1300, 1500),
    proc(4, 'process', 1250, 2, 1300, 1500),
    proc(5, 'process', 1950, 5, 2000, 2100),
  ];
  const values = [
    ...agentTicks(1000, 2100, (t) => (t === 1400 ? 270 : 250)),
    ...rows(3, [[1300, 3], [1600, 0]]),
    ...rows(4, [[1300, 50, 100_000], [1400, 120, 400_000], [1500, 120, 700_000]]),
    ...rows(5, [[2000, 40]]),
  ];
  const calls: CallWindow[] = [
    { toolUseId: 'task', startMs: 1100, endMs: 1900 },
    { toolUseId: 'bash', startMs: 1200, endMs: 1600 },
    { toolUseId: 'read', startMs: 1710, endMs: 1750 },
  ];
  const byId = Object.fromEntries(attributeRun(processes, values, calls).map((a) => [a.toolUseId, a]));

  it("gives a call the process tree it started, and the agent's own memory meanwhile", () => {
    expect(byId.bash).toEqual({
      toolUseId: 'bash',
      processIds: [2, 4],
      processes: 2,
      toolPeakRssBytes: 123 * MiB, // python 120 + the folded shell 3, at 1400
      toolRemainingRssBytes: 0,
      toolCpuSeconds: 0.7,
      agentRssBytes: 270 * MiB,
    });
  });

  it('the innermost (latest-starting) call wins when windows overlap; a call with no tick inside is bracketed', () => {
    expect(byId.task).toMatchObject({ processes: 0, toolPeakRssBytes: 0, agentRssBytes: 270 * MiB });
    expect(byId.read).toMatchObject({ processes: 0, toolPeakRssBytes: null, agentRssBytes: 250 * MiB });
  });

  it('a process may start a little before its tool_use line, not after the result', () => {
    expect(callOfStart(1170, calls)?.toolUseId).toBe('bash');
    expect(callOfStart(1140, calls)?.toolUseId).toBe('task');
    expect(callOfStart(1760, calls)?.toolUseId).toBe('task');
    expect(callOfStart(1950, calls)).toBeNull();
  });

  it('stacks the agent, the tools and the rest at every tick', () => {
    const stack = memoryStack(processes, values, calls);
    expect(stack).toHaveLength(12);
    expect(stack.find((p) => p.tMs === 1400)).toEqual({ tMs: 1400, agentRssBytes: 270 * MiB, toolsRssBytes: 123 * MiB, otherRssBytes: 0 });
    expect(stack.find((p) => p.tMs === 1700)).toMatchObject({ toolsRssBytes: 0, otherRssBytes: 0 });
    expect(stack.find((p) => p.tMs === 2100)).toMatchObject({ toolsRssBytes: 0, otherRssBytes: 40 * MiB });
  });
});

// The fixture trace's calls (ms after T): Bash 268–330, Read 348–359, Bash 376–395 (error), Agent 412–472, and
// in the subagent Bash 431–458.
const T = 1795356487000;
let db: Db;
let dir: string;

function insertProcess(fields: Record<string, number | string | null>): number {
  const keys = Object.keys(fields);
  return Number(db.prepare(`INSERT INTO processes (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(fields).lastInsertRowid);
}
function insertValues(processId: number, points: [number, number, number][]): void {
  for (const [t, rssMiB, cpu] of points) db.prepare('INSERT INTO process_samples (process_id, t_ms, rss_bytes, cpu_usec) VALUES (?, ?, ?, ?)').run(processId, T + t, rssMiB * MiB, cpu);
}

beforeAll(async () => {
  ({ db, dir } = analysisDb());
  await ingestFixtureTrace(db);
  insertRun(db, { id: 'r1', session_id: FIXTURE_SESSION, status: 'ok', started_at: T, finished_at: T + 600 });
  insertRun(db, { id: 'r2', status: 'ok', started_at: T + 1000 });
  const common = { run_id: 'r1', first_seen_ms: T + 200, last_seen_ms: T + 500 };
  const agent = insertProcess({ ...common, kind: 'agent', pid: 100, comm: 'claude', start_ms: T });
  const ticks: [number, number, number][] = [];
  for (let t = 200; t <= 500; t += 10) ticks.push([t, 250, t * 1000]);
  insertValues(agent, ticks);
  const sh = insertProcess({ ...common, kind: 'process', pid: 101, ppid: 100, comm: 'bash', start_ms: T + 270, first_seen_ms: T + 280, last_seen_ms: T + 320, peak_rss_bytes: 3 * MiB, cpu_usec: 10_000, parent_id: agent });
  db.prepare('UPDATE processes SET group_id = id WHERE id = ?').run(sh);
  const py = insertProcess({ ...common, kind: 'process', pid: 102, ppid: 101, comm: 'python3', cmdline: 'python3 -c x', start_ms: T + 275, first_seen_ms: T + 280, last_seen_ms: T + 340, peak_rss_bytes: 120 * MiB, cpu_usec: 300_000, parent_id: sh, group_id: sh });
  insertValues(py, [[280, 40, 100_000], [300, 120, 200_000], [320, 120, 300_000]]);
  const other = insertProcess({ ...common, kind: 'other', comm: '(other)', first_seen_ms: T + 280, last_seen_ms: T + 320, group_id: sh });
  insertValues(other, [[280, 3, 10_000], [330, 0, 10_000]]);
  const grep = insertProcess({ ...common, kind: 'process', pid: 103, ppid: 100, comm: 'grep', start_ms: T + 433, first_seen_ms: T + 440, last_seen_ms: T + 450, peak_rss_bytes: 20 * MiB, cpu_usec: 5_000, parent_id: agent });
  db.prepare('UPDATE processes SET group_id = id WHERE id = ?').run(grep);
  insertValues(grep, [[440, 20, 5_000]]);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stored attribution and its queries', () => {
  it('tool-resources gains tool_peak_rss_bytes and agent_rss_bytes (NULL for runs without per-process samples)', () => {
    const calls = findQuery('tool-resources').run(db, { runId: 'r1' });
    expect(calls.map((c) => [c.tool, c.tool_peak_rss_bytes, c.agent_rss_bytes])).toEqual([
      ['Bash', 123 * MiB, 250 * MiB],
      ['Read', 0, 250 * MiB],
      ['Bash', 0, 250 * MiB],
      ['Agent', 0, 250 * MiB], // the grep belongs to the subagent's Bash, which started later
      ['Bash', 20 * MiB, 250 * MiB],
    ]);
    expect(db.prepare('SELECT tool_calls FROM attributed_runs WHERE run_id = ?').get('r1')).toEqual({ tool_calls: 5 });
  });

  it('is computed again when the trace has more calls than when it was stored', () => {
    db.prepare("UPDATE attributed_runs SET tool_calls = 4 WHERE run_id = 'r1'").run();
    db.prepare("UPDATE tool_attribution SET tool_peak_rss_bytes = 1 WHERE run_id = 'r1'").run();
    // New trace lines make the run's stored figures stale (the triggers of db/schema/analysis.ts).
    db.prepare("DELETE FROM tool_windows_state WHERE run_id = 'r1'").run();
    const calls = findQuery('tool-resources').run(db, { runId: 'r1' });
    expect(calls[0].tool_peak_rss_bytes).toBe(123 * MiB);
  });

  it('tool-processes lists each call\'s processes, largest first', () => {
    const lines = findQuery('tool-processes').run(db, { runId: 'r1' });
    expect(lines.map((l) => [l.tool, l.rank, l.of, l.command, l.peak_rss_bytes, l.folded, l.cpu_seconds, l.started_after_ms, l.outlived_call])).toEqual([
      ['Bash', 1, 2, 'python3', 120 * MiB, 0, 0.3, 7, 1],
      ['Bash', 2, 2, 'bash', 3 * MiB, 1, 0.01, 2, 0],
      ['Bash', 1, 1, 'grep', 20 * MiB, 0, 0.005, 2, 0],
    ]);
    expect(lines[0].cmdline).toBe('python3 -c x');
  });

  it("the report's stack: the agent, then the tools", () => {
    const stack = runMemoryStack(db, 'r1');
    expect(stack.find((p) => p.tMs === T + 300)).toEqual({ tMs: T + 300, agentRssBytes: 250 * MiB, toolsRssBytes: 123 * MiB, otherRssBytes: 0 });
    expect(runMemoryStack(db, 'r2')).toEqual([]);
  });
});
