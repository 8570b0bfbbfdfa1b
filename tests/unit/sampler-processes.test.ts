// Per-process samples: the process table (what is re-read and what is kept), the cgroup.procs listing, the proc
// source's walk with kept children, and the process store (groups, folding, change-only rows, the agent).
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { cgroupProcesses } from '../../src/sampler/cgroup-processes.js';
import { KernelFileReader } from '../../src/sampler/files.js';
import { parseCmdline, parseSchedstatRuntime, parseStatm } from '../../src/sampler/parse.js';
import { openProcSource } from '../../src/sampler/proc.js';
import { ProcessStore } from '../../src/sampler/process-store.js';
import { bootTimeMs, pageSize, ProcessTable, type ProcessEntry } from '../../src/sampler/process-table.js';
import { exitFakeProcess, writeFakeProc, type FakeProcess } from '../helpers/fake-proc.js';

const MiB = 2 ** 20;
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-processes-'));
  db = openDb(join(dir, 'agentpod.db'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const procRoot = () => join(dir, 'proc');
const fakeProc = (pids: Record<number, FakeProcess>) => writeFakeProc(procRoot(), pids);

describe('parsers', () => {
  it('statm, schedstat and cmdline', () => {
    expect(parseStatm('1000 250 40 1 0 100 0\n')).toEqual({ resident: 250, shared: 40 });
    expect(parseStatm(null)).toBeNull();
    expect(parseSchedstatRuntime('123456789 2000 17\n')).toBe(123456789);
    expect(parseSchedstatRuntime('garbage')).toBeNull();
    expect(parseCmdline(Buffer.from('python3\0-c\0print(1)\0'), 200)).toBe('python3 -c print(1)');
    // Cut to the byte limit, never inside a UTF-8 character.
    expect(parseCmdline(Buffer.from('aé'), 2)).toBe('a');
  });

  it('page size and boot time of this host', () => {
    expect([4096, 16384, 65536]).toContain(pageSize());
    const boot = bootTimeMs()!;
    expect(boot).toBeLessThan(Date.now());
    expect(boot).toBeGreaterThan(Date.now() - 10 * 365 * 86_400_000);
  });
});

describe('process table', () => {
  it('keeps an idle single-threaded process (schedstat unchanged) and re-reads it once it ran, or after 2 s', () => {
    fakeProc({ 20: { utime: 5, rssKb: 400, pssKb: 300, runtimeNs: 1000 } });
    const table = new ProcessTable(new KernelFileReader(), 'full', procRoot());
    expect(table.refresh(20, 0)).toMatchObject({ utime: 5, rssBytes: 400 * 1024, fullReadAt: 0, runtimeNs: 1000 });
    // Its stat changes behind the table's back, but it did not run: kept.
    fakeProc({ 20: { utime: 9, rssKb: 800, pssKb: 300, runtimeNs: 1000 } });
    expect(table.refresh(20, 100)).toMatchObject({ utime: 5, rssBytes: 400 * 1024, fullReadAt: 0 });
    expect(table.refresh(20, 2100)).toMatchObject({ utime: 9, rssBytes: 800 * 1024, fullReadAt: 2100 });
    fakeProc({ 20: { utime: 12, rssKb: 800, pssKb: 300, runtimeNs: 5000 } });
    expect(table.refresh(20, 2200)).toMatchObject({ utime: 12, fullReadAt: 2200 });
  });

  it('always re-reads a multi-threaded process and one without schedstat', () => {
    fakeProc({ 10: { tids: [10, 11], utime: 1, rssKb: 100, pssKb: 100, runtimeNs: 1 }, 30: { utime: 1, rssKb: 100, pssKb: 100 } });
    const table = new ProcessTable(new KernelFileReader(), 'full', procRoot());
    table.refresh(10, 0);
    table.refresh(30, 0);
    expect(table.refresh(10, 10)?.fullReadAt).toBe(10);
    expect(table.refresh(30, 10)?.fullReadAt).toBe(10);
  });

  it("lean detail takes RSS from statm; a process that is gone is null", () => {
    fakeProc({ 20: { utime: 1, rssKb: 1024, pssKb: 900, comm: 'py (x)', ppid: 10 } });
    const table = new ProcessTable(new KernelFileReader(), 'lean', procRoot());
    const e = table.refresh(20, 0)!;
    expect(e).toMatchObject({ pid: 20, ppid: 10, comm: 'py (x)', rssBytes: 256 * pageSize(), anonBytes: null, ioReadBytes: null });
    exitFakeProcess(procRoot(), 20);
    expect(table.refresh(20, 10)).toBeNull();
  });

  it('reads the first 200 bytes of the command line', () => {
    fakeProc({ 20: { utime: 1, rssKb: 4, pssKb: 4, cmdline: `bash -c ${'x'.repeat(300)}` } });
    const table = new ProcessTable(new KernelFileReader(), 'lean', procRoot());
    const line = table.cmdline(20)!;
    expect(line.startsWith('bash -c xxx')).toBe(true);
    expect(Buffer.byteLength(line)).toBe(200);
    expect(table.cmdline(99)).toBeNull();
  });
});

describe('cgroup.procs listing', () => {
  it('lists the pids of cgroup.procs that are still there', () => {
    fakeProc({ 10: { utime: 1, rssKb: 400, pssKb: 1 }, 20: { utime: 2, rssKb: 800, pssKb: 1 } });
    const cgroup = join(dir, 'cg');
    mkdirSync(cgroup);
    writeFileSync(join(cgroup, 'cgroup.procs'), '10\n20\n33\n');
    const listing = cgroupProcesses(new KernelFileReader(), join(cgroup, 'cgroup.procs'), procRoot());
    const entries = listing.processes();
    expect(entries.map((e) => e.pid)).toEqual([10, 20]);
    // The first listing reads PSS too (then only as often as its budget allows).
    expect(entries[0].pssBytes).toBe(1024);
    listing.close();
  });
});

describe('proc source walk', () => {
  it("lists a kept process's children without reading them again, and drops a child that exited", () => {
    fakeProc({
      10: { tids: [10, 11], children: [20], utime: 1, rssKb: 100, pssKb: 1 },
      20: { children: [30, 40], utime: 1, rssKb: 100, pssKb: 1, runtimeNs: 7 },
      30: { utime: 1, rssKb: 100, pssKb: 1, runtimeNs: 7 },
      40: { utime: 1, rssKb: 100, pssKb: 1, runtimeNs: 7 },
    });
    const source = openProcSource(10, procRoot());
    expect(source.read().pids_current).toBe(5);
    // 20 did not run: its children file is not read again (emptied here to show it), but 40 exits.
    writeFileSync(join(procRoot(), '20', 'task', '20', 'children'), '');
    exitFakeProcess(procRoot(), 40);
    expect(source.processes!().map((e) => e.pid)).toEqual([10, 20, 30, 40]);
    source.read();
    expect(source.processes!().map((e) => e.pid)).toEqual([10, 20, 30]);
    // Once 20 runs, its (now empty) children file is read.
    fakeProc({ 20: { utime: 2, rssKb: 100, pssKb: 1, runtimeNs: 8 } });
    source.read();
    expect(source.processes!().map((e) => e.pid)).toEqual([10, 20]);
  });
});

describe('children between fork and exec', () => {
  it("leave their memory out of the sums (it is their parent's), not their CPU", () => {
    fakeProc({
      10: { tids: [10, 11], children: [20, 30], utime: 1, rssKb: 250_000, pssKb: 1, startstack: 777 },
      20: { utime: 3, rssKb: 250_000, pssKb: 1, ppid: 10, startstack: 777 }, // forked, not exec'd yet
      30: { utime: 2, rssKb: 4000, pssKb: 1, ppid: 10, startstack: 999 },
    });
    const source = openProcSource(10, procRoot());
    expect(source.read()).toMatchObject({ memory_rss_bytes: 254_000 * 1024, cpu_user_usec: (1 + 3 + 2 + 3 * 5) * 10_000 });
    expect(source.processes!().map((e) => [e.pid, e.preExec])).toEqual([[10, false], [20, true], [30, false]]);
  });
});

function entry(pid: number, ppid: number, rssMiB: number, cpuTicks = 0, starttime = pid): ProcessEntry {
  return {
    pid, ppid, starttime, comm: `p${pid}`, numThreads: 1, utime: cpuTicks, stime: 0, cutime: 0, cstime: 0,
    startstack: 0, preExec: false, rssBytes: rssMiB * MiB, anonBytes: null, fileBytes: null, shmemBytes: null, swapBytes: null, ioReadBytes: null, ioWriteBytes: null,
    pssBytes: null, runtimeNs: null, fullReadAt: 0,
  };
}

function insertRun(): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host)
     VALUES (?, 'running', 0, 'img', 'test', '/', 'host', ?, 'c', '/', 0, '', 1, 'h')`,
  ).run(id, `s-${id}`);
  return id;
}

function storeOf(runId: string) {
  const store = new ProcessStore(db, runId, { agentPid: 1, bootMs: 1_000_000, cmdline: (pid) => `cmd ${pid}` });
  const flush = () => {
    db.transaction(() => store.write())();
    store.settle(true);
  };
  return { store, flush };
}

type ProcessRow = { id: number; kind: string; pid: number | null; process_key: string; comm: string; group_id: number | null; parent_id: number | null; start_ms: number; cmdline: string | null; first_seen_ms: number; last_seen_ms: number | null; peak_rss_bytes: number | null; cpu_usec: number | null };
const processRows = (runId: string) => db.prepare('SELECT * FROM processes WHERE run_id = ? ORDER BY id').all(runId) as ProcessRow[];
const valuesOf = (id: number) => db.prepare('SELECT t_ms, rss_bytes, cpu_usec FROM process_samples WHERE process_id = ? ORDER BY t_ms').all(id) as { t_ms: number; rss_bytes: number; cpu_usec: number }[];

describe('process store', () => {
  it("groups a tool's process tree under the agent's child, folds small processes, and writes values only when they change", () => {
    const runId = insertRun();
    const { store, flush } = storeOf(runId);
    // agent 1 → bash 2 (3 MiB) → python 3 (grows to 120 MiB); agent → sleep 4 (1 MiB).
    store.add(1000, [entry(1, 0, 250, 100), entry(2, 1, 3), entry(3, 2, 8), entry(4, 1, 1)]);
    store.add(1100, [entry(1, 0, 250, 100), entry(2, 1, 3), entry(3, 2, 120, 50), entry(4, 1, 1)]);
    store.add(1200, [entry(1, 0, 260, 110), entry(2, 1, 3), entry(3, 2, 120, 90), entry(4, 1, 1)]);
    flush();
    const rows = processRows(runId);
    const byPid = (pid: number) => rows.find((r) => r.pid === pid)!;
    const [agent, bash, python, sleep] = [1, 2, 3, 4].map(byPid);
    expect(agent).toMatchObject({ kind: 'agent', group_id: null, comm: 'p1', cmdline: 'cmd 1', start_ms: 1_000_010, first_seen_ms: 1000 });
    expect(bash).toMatchObject({ kind: 'process', group_id: bash.id, parent_id: agent.id });
    expect(python).toMatchObject({ group_id: bash.id, parent_id: bash.id });
    expect(sleep).toMatchObject({ group_id: sleep.id });
    // One (other) row per group with folded processes; none for the agent.
    const others = rows.filter((r) => r.kind === 'other');
    expect(others.map((r) => r.group_id).sort()).toEqual([bash.id, sleep.id].sort());
    // What identifies each row without its id (agentpod merge maps shards' ids by it): pid, start, first sighting.
    expect([agent.process_key, bash.process_key]).toEqual(['1:1000010:1000', `2:${bash.start_ms}:1000`]);
    expect(others.map((r) => r.process_key).sort()).toEqual([`other:${bash.process_key}`, `other:${sleep.process_key}`].sort());
    // The agent: a row at every tick (they are the ticks); the others only when their values change.
    expect(valuesOf(agent.id).map((v) => v.t_ms)).toEqual([1000, 1100, 1200]);
    // The python folded while small (8 MiB), then rows of its own from the tick it reached 16 MiB.
    expect(valuesOf(python.id)).toEqual([
      { t_ms: 1100, rss_bytes: 120 * MiB, cpu_usec: 500_000 },
      { t_ms: 1200, rss_bytes: 120 * MiB, cpu_usec: 900_000 },
    ]);
    const bashOther = others.find((r) => r.group_id === bash.id)!;
    expect(valuesOf(bashOther.id)).toEqual([
      { t_ms: 1000, rss_bytes: 11 * MiB, cpu_usec: 0 },
      { t_ms: 1100, rss_bytes: 3 * MiB, cpu_usec: 0 },
    ]);
    expect(valuesOf(bash.id)).toEqual([]);
    // Last sightings are written when a process leaves or the run ends.
    expect(bash.last_seen_ms).toBeNull();
    store.add(1300, [entry(1, 0, 260, 110), entry(4, 1, 1)]);
    store.end();
    flush();
    const after = processRows(runId);
    expect(after.find((r) => r.pid === 3)).toMatchObject({ last_seen_ms: 1200, peak_rss_bytes: 120 * MiB, cpu_usec: 900_000 });
    expect(after.find((r) => r.pid === 1)).toMatchObject({ last_seen_ms: 1300, peak_rss_bytes: 260 * MiB });
    // Nothing folded is left in bash's group: its (other) value drops to 0.
    expect(valuesOf(bashOther.id).at(-1)).toEqual({ t_ms: 1300, rss_bytes: 0, cpu_usec: 0 });
  });

  it("an (other) row's CPU keeps that of folded processes that exited", () => {
    const runId = insertRun();
    const { store, flush } = storeOf(runId);
    store.add(1000, [entry(1, 0, 250), entry(2, 1, 3, 10), entry(5, 2, 1, 20)]);
    store.add(1100, [entry(1, 0, 250), entry(2, 1, 3, 10)]);
    store.add(1200, [entry(1, 0, 250), entry(2, 1, 3, 15)]);
    store.end();
    flush();
    const other = processRows(runId).find((r) => r.kind === 'other')!;
    expect(valuesOf(other.id).map((v) => v.cpu_usec)).toEqual([300_000, 300_000, 350_000]);
    expect(other.cpu_usec).toBe(350_000);
  });

  it('a process re-parented to the agent stays in the group it started in', () => {
    const runId = insertRun();
    const { store, flush } = storeOf(runId);
    store.add(1000, [entry(1, 0, 250), entry(2, 1, 3), entry(3, 2, 40)]);
    store.add(1100, [entry(1, 0, 250), entry(3, 1, 40)]); // bash exited: python now a child of the agent
    flush();
    const rows = processRows(runId);
    expect(rows.find((r) => r.pid === 3)!.group_id).toBe(rows.find((r) => r.pid === 2)!.id);
  });

  it('keeps what a rolled-back transaction held, and writes it with the next one', () => {
    const runId = insertRun();
    const { store, flush } = storeOf(runId);
    store.add(1000, [entry(1, 0, 250)]);
    expect(() =>
      db.transaction(() => {
        store.write();
        throw new Error('database busy');
      })(),
    ).toThrow('busy');
    store.settle(false);
    expect(processRows(runId)).toEqual([]);
    flush();
    expect(processRows(runId)).toHaveLength(1);
    expect(valuesOf(processRows(runId)[0].id)).toHaveLength(1);
    expect(store.pending()).toBe(false);
  });
});
