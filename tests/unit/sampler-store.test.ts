// The sampling loop against fake cgroup and /proc trees in a temp dir: values change between ticks, the
// cgroup disappears, an OOM event arrives between ticks; what lands in `samples` and in the run row.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { watchOomEvents } from '../../src/sampler/oom-watch.js';
import { openProcSource } from '../../src/sampler/proc.js';
import { startSamplerWith } from '../../src/sampler/sampler.js';
import { writeFakeProc, type FakeProcess } from '../helpers/fake-proc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-sampler-'));
  db = openDb(join(dir, 'agentpod.db'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function insertRun(limits: { memoryBytes?: number; cpus?: number } = {}): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO runs (id, status, started_at, image, profile, memory_limit_bytes, cpus, workdir, share_mode, session_id,
       container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host)
     VALUES (?, 'running', 0, 'img', 'test', ?, ?, '/', 'host', ?, 'c', '/', 0, '', 1, 'h')`,
  ).run(id, limits.memoryBytes ?? null, limits.cpus ?? null, `s-${id}`);
  return id;
}

/** A fake cgroup v2 directory; `write` replaces some of its files. */
function fakeCgroup(files: Record<string, string>) {
  const cgroup = join(dir, 'cgroup');
  mkdirSync(cgroup, { recursive: true });
  const write = (changes: Record<string, string>) => {
    for (const [name, text] of Object.entries(changes)) writeFileSync(join(cgroup, name), text);
  };
  write(files);
  return { cgroup, write };
}

const BASE = {
  'memory.current': '1000000\n',
  'memory.peak': '1000000\n',
  'memory.stat': 'anon 600000\nfile 400000\ninactive_file 300000\n',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
  'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
  'memory.max': 'max\n',
  'cpu.max': 'max 100000\n',
};

const samplesOf = (runId: string) => db.prepare('SELECT * FROM samples WHERE run_id = ? ORDER BY t_ms').all(runId) as Record<string, number | null>[];
const runRow = (runId: string) => db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Record<string, unknown>;

describe('sampling loop', () => {
  it('records changing values every tick, brackets the run, and writes the run row on stop', async () => {
    const runId = insertRun();
    const { cgroup, write } = fakeCgroup(BASE);
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => ({ kind: 'cgroup-v2', dir: cgroup }));
    await sleep(150);
    write({ 'memory.current': '5000000\n', 'memory.peak': '6000000\n', 'cpu.stat': 'usage_usec 200000\nuser_usec 150000\nsystem_usec 50000\n' });
    await sleep(150);
    write({ 'memory.current': '2000000\n', 'cpu.stat': 'usage_usec 300000\nuser_usec 200000\nsystem_usec 100000\n' });
    const summary = await sampler.stop();

    const rows = samplesOf(runId);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(summary.samples).toBe(rows.length);
    expect(rows[0]).toMatchObject({ source: 'cgroup-v2', memory_current_bytes: 1000000, memory_working_set_bytes: 700000, cpu_usage_usec: 0 });
    // The final sample, taken by stop(), saw the last write.
    expect(rows.at(-1)).toMatchObject({ memory_current_bytes: 2000000, cpu_usage_usec: 300000 });
    expect(summary).toEqual({
      source: 'cgroup-v2',
      samples: rows.length,
      peakMemoryBytes: 5000000,
      kernelPeakMemoryBytes: 6000000,
      cpuSeconds: 0.3,
      throttledUsec: null,
      oomEvents: 0,
      oomKillEvents: 0,
      limitsEnforced: null,
    });
    expect(runRow(runId)).toMatchObject({
      sample_source: 'cgroup-v2',
      sample_count: rows.length,
      sample_interval_ms: 20,
      limits_enforced: null,
      memory_max_read: 'max',
      cpu_max_read: 'max 100000',
      peak_memory_bytes: 5000000,
      peak_working_set_bytes: 4700000,
      kernel_peak_memory_bytes: 6000000,
      cpu_seconds: 0.3,
      throttled_usec: null,
      oom_events: 0,
      oom_kill_events: 0,
    });
    // Rates come from the view: 0.3 s of CPU over the run's samples.
    const rates = db.prepare('SELECT cpu_cores FROM sample_rates WHERE run_id = ? ORDER BY t_ms').all(runId) as { cpu_cores: number | null }[];
    expect(rates[0].cpu_cores).toBeNull();
    const spanMs = rows.at(-1)!.t_ms! - rows[0].t_ms!;
    const coreSeconds = rates.slice(1).reduce((sum, r, i) => sum + r.cpu_cores! * (rows[i + 1].t_ms! - rows[i].t_ms!) / 1000, 0);
    expect(coreSeconds).toBeCloseTo(0.3, 6);
    expect(spanMs).toBeGreaterThan(250);
  });

  it('stores NULL for what the cgroup does not have and 0 for real zeros', async () => {
    const runId = insertRun();
    const { cgroup } = fakeCgroup({ ...BASE, 'io.stat': '' });
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => ({ kind: 'cgroup-v2', dir: cgroup }));
    await sleep(60);
    await sampler.stop();
    const row = samplesOf(runId)[0];
    // io.stat exists without devices: zero I/O. No memory.swap.current, no pids, no PSI, no throttling keys: NULL.
    expect(row).toMatchObject({ io_read_bytes: 0, io_write_ops: 0, memory_events_oom_kill: 0, cpu_user_usec: 0 });
    expect(row).toMatchObject({ memory_swap_bytes: null, pids_current: null, psi_cpu_some_avg10: null, cpu_throttled_usec: null, memory_rss_bytes: null, memory_failcnt: null });
  });

  it('keeps the last values when the cgroup disappears before stop()', async () => {
    const runId = insertRun();
    const { cgroup, write } = fakeCgroup(BASE);
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => ({ kind: 'cgroup-v2', dir: cgroup }));
    await sleep(60);
    write({ 'memory.peak': '9000000\n', 'memory.events': 'oom 1\noom_kill 1\n' });
    await sleep(60);
    rmSync(cgroup, { recursive: true });
    await sleep(60);
    const summary = await sampler.stop();
    expect(summary).toMatchObject({ source: 'cgroup-v2', kernelPeakMemoryBytes: 9000000, oomEvents: 1, oomKillEvents: 1 });
    expect(samplesOf(runId).every((r) => r.memory_current_bytes === 1000000)).toBe(true);
  });

  it('samples at once when memory.events reports an OOM kill between ticks', async () => {
    const runId = insertRun();
    const { cgroup, write } = fakeCgroup(BASE);
    // One tick a minute: only an event-driven sample can see the kill before the cgroup goes.
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 60_000 }, async () => ({ kind: 'cgroup-v2', dir: cgroup }));
    await sleep(100);
    write({ 'memory.events': 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n', 'memory.peak': '268435456\n' });
    await sleep(300);
    const removedAt = Date.now();
    rmSync(cgroup, { recursive: true });
    const summary = await sampler.stop();
    expect(summary).toMatchObject({ oomKillEvents: 1, kernelPeakMemoryBytes: 268435456 });
    const beforeRemoval = samplesOf(runId).filter((r) => r.t_ms! < removedAt);
    expect(beforeRemoval.map((r) => r.memory_events_oom_kill)).toEqual([0, 1]);
  });

  it('writes samples in batches, not one transaction per tick', async () => {
    const runId = insertRun();
    const { cgroup } = fakeCgroup(BASE);
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => ({ kind: 'cgroup-v2', dir: cgroup }));
    await sleep(400);
    expect(samplesOf(runId)).toHaveLength(0);
    await sleep(900);
    const flushed = samplesOf(runId).length;
    expect(flushed).toBeGreaterThanOrEqual(30);
    await sampler.stop();
    expect(samplesOf(runId).length).toBeGreaterThan(flushed);
  });

  it('decides limits_enforced from the limits read back', async () => {
    const check = async (memoryMax: string, cpuMax: string) => {
      const runId = insertRun({ memoryBytes: 268435456, cpus: 0.5 });
      const { cgroup } = fakeCgroup({ ...BASE, 'memory.max': memoryMax, 'cpu.max': cpuMax });
      const summary = await startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => ({ kind: 'cgroup-v2', dir: cgroup })).stop();
      return { summary: summary.limitsEnforced, row: runRow(runId) };
    };
    expect(await check('268435456\n', '50000 100000\n')).toMatchObject({ summary: true, row: { limits_enforced: 1, memory_max_read: '268435456', cpu_max_read: '50000 100000' } });
    expect(await check('max\n', '50000 100000\n')).toMatchObject({ summary: false, row: { limits_enforced: 0, memory_max_read: 'max' } });
  });

  it('a container that never ran: no samples, source NULL, count 0', async () => {
    const runId = insertRun({ memoryBytes: 268435456 });
    const summary = await startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async () => null).stop();
    expect(summary).toEqual({
      source: null,
      samples: 0,
      peakMemoryBytes: null,
      kernelPeakMemoryBytes: null,
      cpuSeconds: null,
      throttledUsec: null,
      oomEvents: null,
      oomKillEvents: null,
      limitsEnforced: null,
    });
    expect(runRow(runId)).toMatchObject({ sample_source: null, sample_count: 0, sample_interval_ms: 20, limits_enforced: null });
  });

  it('stop() during the search for the container ends the search', async () => {
    const runId = insertRun();
    const sampler = startSamplerWith({ db, runId, containerName: 'c', intervalMs: 20 }, async (shouldStop) => {
      while (!shouldStop()) await sleep(10);
      return null;
    });
    await sleep(50);
    expect((await sampler.stop()).samples).toBe(0);
  });
});

describe('proc source', () => {
  const fakeProc = (pids: Record<number, FakeProcess>) => writeFakeProc(join(dir, 'proc'), pids);

  it('sums the tree of the init pid, children of every thread included, and counts threads', () => {
    const root = fakeProc({
      10: { tids: [10, 11, 12], children: [20, 30], utime: 100, rssKb: 1000, pssKb: 900 },
      20: { children: [40], utime: 50, stime: 10, rssKb: 2000, pssKb: 1500 },
      30: { utime: 1, rssKb: 100, pssKb: 50, io: false },
      40: { utime: 1, rssKb: 100, pssKb: 50 },
      99: { utime: 1000, rssKb: 99999, pssKb: 99999 }, // not in the tree
    });
    const source = openProcSource(10, root);
    const s = source.read();
    expect(s).toMatchObject({
      memory_current_bytes: 3200 * 1024,
      memory_rss_bytes: 3200 * 1024,
      memory_anon_bytes: (3200 - 40) * 1024,
      memory_file_bytes: 40 * 1024,
      memory_shmem_bytes: 0,
      memory_swap_bytes: 0,
      memory_pss_bytes: 2500 * 1024,
      memory_working_set_bytes: 2500 * 1024,
      // utime+cutime (5 each) and stime+cstime per process, at 10 ms per tick.
      cpu_user_usec: (100 + 50 + 1 + 1 + 4 * 5) * 10_000,
      cpu_system_usec: (10 + 4 * 5) * 10_000,
      cpu_usage_usec: (172 + 30) * 10_000,
      // pid 30 has no readable io: the others still sum.
      io_read_bytes: 3 * 4096,
      io_write_bytes: 3 * 8192,
      pids_current: 6,
    });
    expect(s.memory_peak_bytes ?? null).toBeNull();
    // PSS (a page-table walk) is read again only after a pause that bounds its cost; RSS every time.
    expect(source.read()).toMatchObject({ memory_rss_bytes: 3200 * 1024, memory_pss_bytes: null, memory_working_set_bytes: null });
  });

  it('io is NULL when no process of the tree lets it be read', () => {
    const root = fakeProc({ 10: { utime: 1, rssKb: 1, pssKb: 1, io: false } });
    expect(openProcSource(10, root).read().io_read_bytes).toBeNull();
  });

  it('is gone once the init pid exits, even if the pid number is reused', () => {
    const root = fakeProc({ 10: { utime: 1, rssKb: 1, pssKb: 1, start: 100 } });
    const source = openProcSource(10, root);
    expect(source.read().memory_rss_bytes).toBe(1024);
    fakeProc({ 10: { utime: 1, rssKb: 5, pssKb: 5, start: 555 } });
    expect(source.read()).toEqual({});
    fakeProc({ 10: { utime: 1, rssKb: 1, pssKb: 1, start: 100 } });
    expect(source.read()).toEqual({});
  });

  it('reads a live process (this one) through the real /proc', () => {
    const s = openProcSource(process.pid).read();
    expect(s.memory_rss_bytes!).toBeGreaterThan(10 * 2 ** 20);
    expect(s.cpu_usage_usec!).toBeGreaterThan(0);
    expect(s.pids_current!).toBeGreaterThanOrEqual(1);
  });
});

describe('OOM watch', () => {
  it('polls memory.events while the cgroup is at its limit, so a kill is seen without a notification', async () => {
    const file = join(dir, 'memory.events');
    writeFileSync(file, 'max 0\noom 0\noom_kill 0\n');
    let content = 'max 0\noom 0\noom_kill 0\n';
    let ooms = 0;
    const seen: unknown[] = [];
    const stop = watchOomEvents(file, () => content, (counts) => {
      ooms++;
      seen.push(counts);
    });
    // One notification while "max" rises starts the polling...
    content = 'max 5\noom 0\noom_kill 0\n';
    writeFileSync(file, content);
    await sleep(50);
    expect(ooms).toBe(0);
    // ...which sees the kill though the file sends no further notification.
    content = 'max 9\noom 1\noom_kill 1\n';
    await sleep(50);
    expect(ooms).toBe(1);
    // The counts it read go along: the sample taken next may find the cgroup gone (an init's kill).
    expect(seen).toEqual([{ memory_events_oom: 1, memory_events_oom_kill: 1 }]);
    stop();
  });

  it('calls back on a notified change of oom or oom_kill only, not of max alone', async () => {
    const file = join(dir, 'memory.events');
    writeFileSync(file, 'max 0\noom 0\noom_kill 0\n');
    let ooms = 0;
    const stop = watchOomEvents(file, () => readFileSync(file, 'utf8'), () => ooms++);
    writeFileSync(file, 'max 3\noom 0\noom_kill 0\n');
    await sleep(50);
    expect(ooms).toBe(0);
    writeFileSync(file, 'max 3\noom 1\noom_kill 1\n');
    await sleep(50);
    expect(ooms).toBe(1);
    stop();
  });
});
