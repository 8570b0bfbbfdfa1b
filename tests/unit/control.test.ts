// Resource control: where each limit lives and how a change is made (podman update or the cgroup file),
// what counts as confirmed, the events, and a run's control against a fake cgroup v2 directory (start
// read-back, a schedule step, warnings where limits cannot apply, the pressure summary).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLimits } from '../../src/control/apply.js';
import { confirms, controllableDir, normalizeChange, readingsOf, updatePlan } from '../../src/control/cgroup-limits.js';
import { limitEvents, readingLine, recordLimitEvents, softTargets } from '../../src/control/events.js';
import { pressureLine } from '../../src/control/pressure.js';
import { startRunControl } from '../../src/control/run-control.js';
import { openDb, type Db } from '../../src/db/open.js';
import { describeChange } from '../../src/limit-keys.js';
import { parseLimitFlags, parseProfile } from '../../src/profiles.js';
import { insertRun, insertSamples } from '../helpers/analysis-db.js';

const MiB = 2 ** 20;

describe('limit changes (pure)', () => {
  it('updates memory, swap, cpus and memory-low with podman update, and writes what podman 4.3 cannot set', () => {
    expect(updatePlan(normalizeChange({ memoryBytes: 2 ** 31, cpus: 1, memoryHighBytes: 1536 * MiB, cpuWeight: 50, memoryLowBytes: 512 * MiB }))).toEqual({
      podmanArgs: ['--memory', '2147483648b', '--memory-swap', '2147483648b', '--cpus', '1', '--memory-reservation', '536870912b'],
      writes: [
        { file: 'memory.high', value: String(1536 * MiB) },
        { file: 'cpu.weight', value: '50' },
      ],
    });
    // "unlimited": podman update takes no -1 for --memory and ignores --cpus 0.
    expect(updatePlan({ memoryBytes: null, cpus: null, memoryHighBytes: null, memoryLowBytes: null, cpuWeight: null })).toEqual({
      podmanArgs: [],
      writes: [
        { file: 'memory.max', value: 'max' },
        { file: 'memory.swap.max', value: 'max' },
        { file: 'cpu.max', value: 'max' },
        { file: 'memory.low', value: '0' },
        { file: 'memory.high', value: 'max' },
        { file: 'cpu.weight', value: '100' },
      ],
    });
    expect(updatePlan({ memoryBytes: 2 ** 30, memorySwapBytes: null }).podmanArgs).toEqual(['--memory', '1073741824b', '--memory-swap', '-1']);
  });

  it('confirms what the kernel reads back: pages rounded down, swap on top of memory, quota over period', () => {
    expect(confirms('memory', 268435456, '268435456', null)).toBe(true);
    expect(confirms('memory-high', 200_000_000, '199999488', null)).toBe(true); // rounded down to a page
    expect(confirms('memory-high', 200_000_000, 'max', null)).toBe(false);
    expect(confirms('memory-high', null, 'max', null)).toBe(true);
    expect(confirms('memory-swap', 2 ** 30, '0', 2 ** 30)).toBe(true);
    expect(confirms('memory-swap', 2 ** 31, '1073741824', 2 ** 30)).toBe(true);
    expect(confirms('cpus', 0.5, '50000 100000', null)).toBe(true);
    expect(confirms('cpus', null, 'max 100000', null)).toBe(true);
    expect(confirms('cpu-weight', 50, '50', null)).toBe(true);
    expect(confirms('cpu-weight', null, '100', null)).toBe(true);
    expect(confirms('memory-low', null, '0', null)).toBe(true);
    expect(confirms('memory', 1, null, null)).toBeNull();
  });

  it('a container without a cgroup v2 of its own says why', () => {
    expect(controllableDir({ kind: 'proc', pid: 1, reason: 'memory cgroup / is not the container\'s own' })).toMatchObject({ cannot: expect.stringMatching(/no cgroup of its own \(memory cgroup/) });
    expect(controllableDir({ kind: 'cgroup-v1', dirs: {} })).toMatchObject({ cannot: expect.stringMatching(/cgroup v1/) });
    expect(controllableDir(null)).toEqual({ cannot: 'the container is not running' });
    expect(controllableDir({ kind: 'cgroup-v2', dir: '/x' })).toEqual({ dir: '/x' });
  });

  it('reads flags like profile keys, and describes changes', () => {
    const change = parseLimitFlags({ memory: '2g', 'memory-high': '1500m', cpus: '1', 'cpu-weight': '50', 'memory-low': undefined });
    expect(change).toEqual({ memoryBytes: 2 ** 31, memoryHighBytes: 1500 * MiB, cpus: 1, cpuWeight: 50 });
    expect(describeChange({ memoryBytes: 2 ** 31, memoryHighBytes: null })).toBe('memory 2.0 GiB, memory-high unlimited');
    expect(() => parseLimitFlags({ memory: '1g', 'memory-high': '2g' })).toThrow(/command line: key "memory-high" must be at most memory/);
    expect(() => parseLimitFlags({ cpus: 'many' })).toThrow(/key "cpus"/);
  });

  it('one reading per key, with a note when it did not take or could not be read', () => {
    const files: Record<string, string> = { 'memory.max': '1073741824', 'memory.swap.max': '0', 'memory.high': 'max' };
    const readings = readingsOf(normalizeChange({ memoryBytes: 2 ** 30, memoryHighBytes: 900 * MiB, cpuWeight: 20 }), (f) => files[f] ?? null, null);
    expect(readings.map((r) => [r.key, r.confirmed])).toEqual([
      ['memory', true],
      ['memory-swap', true],
      ['memory-high', false],
      ['cpu-weight', null],
    ]);
    expect(readings[2].note).toBe('memory.high reads max');
    expect(readings[3].note).toMatch(/container exited/);
    expect(readingLine(readings[2])).toBe('memory-high 900 MiB: NOT applied (memory.high = max); memory.high reads max');
  });

  it('the pressure line', () => {
    expect(pressureLine(1536 * MiB, { memoryHighEvents: 37, memoryMaxEvents: 0, memoryStallSomeUsec: 2_300_000, memoryStallFullUsec: 400_000 })).toBe('memory.high 1.5 GiB: 37 high events, throttled 2.3s (memory PSI some; full 400ms)');
    expect(pressureLine(null, { memoryHighEvents: null, memoryMaxEvents: null, memoryStallSomeUsec: null, memoryStallFullUsec: null })).toMatch(/throttling unknown/);
  });
});

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-control-'));
  db = openDb(join(dir, 'agentpod.db'));
  insertRun(db, { id: 'r1', status: 'running', started_at: Date.now() });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeCgroupV2(files: Record<string, string>): string {
  const cgroup = join(dir, 'cgroup');
  mkdirSync(cgroup, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cgroup, name), `${text}\n`);
  return cgroup;
}

describe("a run's resource control", () => {
  it('reads the limits back at the start, applies its schedule (cgroup files) and writes the pressure', async () => {
    const cgroup = fakeCgroupV2({ 'memory.max': '1073741824', 'memory.swap.max': '0', 'memory.high': String(512 * MiB), 'cpu.weight': '50' });
    const profile = parseProfile({ memory: '1g', 'memory-high': '512m', 'cpu-weight': 50, schedule: [{ after: '50ms', 'memory-high': '256m', 'cpu-weight': 200 }] }, 'p.yaml');
    const lines: string[] = [];
    const control = startRunControl({ db, runId: 'r1', containerName: 'c', profile, located: Promise.resolve({ kind: 'cgroup-v2', dir: cgroup, pid: 1 }), log: (l) => lines.push(l) });
    await sleep(300);
    insertSamples(db, 'r1', [{ t_ms: 1, memory_events_high: 3, psi_memory_some_total_usec: 1000 }, { t_ms: 2, memory_events_high: 40, psi_memory_some_total_usec: 2_500_000, psi_memory_full_total_usec: 10 }]);
    const pressure = await control.finish();
    expect(readFileSync(join(cgroup, 'memory.high'), 'utf8')).toBe(String(256 * MiB));
    expect(readFileSync(join(cgroup, 'cpu.weight'), 'utf8')).toBe('200');
    const events = limitEvents(db, 'r1');
    expect(events.map((e) => [e.origin, e.key, e.requested, e.confirmed])).toEqual([
      ['start', 'memory', '1073741824', 1],
      ['start', 'memory-swap', '1073741824', 1],
      ['start', 'memory-high', String(512 * MiB), 1],
      ['start', 'cpu-weight', '50', 1],
      ['schedule', 'memory-high', String(256 * MiB), 1],
      ['schedule', 'cpu-weight', '200', 1],
    ]);
    expect(lines.some((l) => /schedule after 50ms: memory-high 256 MiB: confirmed/.test(l))).toBe(true);
    expect(pressure).toEqual({ memoryHighEvents: 40, memoryMaxEvents: null, memoryStallSomeUsec: 2_500_000, memoryStallFullUsec: 10 });
    expect(db.prepare('SELECT memory_high_bytes, cpu_weight, memory_high_events, memory_stall_some_usec FROM run_controls WHERE run_id = ?').get('r1')).toEqual({ memory_high_bytes: 512 * MiB, cpu_weight: 50, memory_high_events: 40, memory_stall_some_usec: 2_500_000 });
    expect(lines.at(-1)).toBe('run r1: memory.high 512 MiB: 40 high events, throttled 2.5s (memory PSI some; full 0ms)');
    // What a podman update (runc: systemd rewrites memory.high and cpu.weight) must write again.
    expect(softTargets(db, 'r1')).toEqual(expect.arrayContaining([{ file: 'memory.high', value: String(256 * MiB) }, { file: 'cpu.weight', value: '200' }]));
  });

  it('says so, in a warning line and in the events, where the host cannot apply soft limits', async () => {
    const profile = parseProfile({ memory: '1g', 'memory-high': '512m', schedule: [{ after: '10ms', cpus: 0.5 }] }, 'p.yaml');
    const lines: string[] = [];
    const control = startRunControl({ db, runId: 'r1', containerName: 'c', profile, located: Promise.resolve({ kind: 'proc', pid: 1, reason: "memory cgroup /x is not the container's own" }), log: (l) => lines.push(l) });
    await sleep(200);
    await control.finish();
    expect(lines.filter((l) => l.includes('warning'))).toEqual([
      "run r1: warning: memory-high 512 MiB: NOT applied; not applied: the container has no cgroup of its own (memory cgroup /x is not the container's own): rootless podman cannot set limits here (cgroup v1 or hybrid host, or controllers not delegated)",
    ]);
    const events = limitEvents(db, 'r1');
    expect(events.filter((e) => e.origin === 'schedule').map((e) => [e.key, e.confirmed])).toEqual([['cpus', 0]]);
    expect(events.every((e) => e.confirmed === 0 && e.note?.startsWith('not applied'))).toBe(true);
  });

  it('a schedule step not yet due when the run ends is not applied', async () => {
    const cgroup = fakeCgroupV2({ 'memory.high': 'max' });
    const profile = parseProfile({ schedule: [{ after: '10s', 'memory-high': '256m' }] }, 'p.yaml');
    const control = startRunControl({ db, runId: 'r1', containerName: 'c', profile, located: Promise.resolve({ kind: 'cgroup-v2', dir: cgroup }), log: () => {} });
    await sleep(50);
    await control.finish();
    expect(readFileSync(join(cgroup, 'memory.high'), 'utf8')).toBe('max\n');
    expect(limitEvents(db, 'r1')).toEqual([]);
  });

  it('records events of a command', () => {
    recordLimitEvents(db, 'r1', 5, 'command', [{ key: 'memory', requested: '1', file: 'memory.max', readBack: null, confirmed: null, note: 'gone' }]);
    expect(limitEvents(db, 'r1')).toEqual([{ t_ms: 5, origin: 'command', key: 'memory', requested: '1', read_back: null, confirmed: null, note: 'gone' }]);
  });
});

describe('applyLimits on a container that is gone', () => {
  it('says the container exited for every key, not which file write failed', async () => {
    const gone = join(mkdtempSync(join(tmpdir(), 'agentpod-gone-')), 'libpod-x.scope');
    const readings = await applyLimits('agentpod-gone', { kind: 'cgroup-v2', dir: gone, pid: 1 }, { memoryHighBytes: 64 * 2 ** 20 });
    expect(readings).toEqual([
      { key: 'memory-high', requested: String(64 * 2 ** 20), file: 'memory.high', readBack: null, confirmed: null, note: 'not readable after the change: the container exited (the change may have OOM-killed it)' },
    ]);
  });
});
