// Sampler CPU cost: this process's CPU time (process.cpuUsage, all threads) while the sampler samples a live
// process tree (a node process with 49 descendants, like an agent with its tools) for N seconds, minus the same
// process idling for N seconds. At 100 ms and 1 s intervals, with and without per-process samples, for the proc
// source and, on cgroup v2 hosts, a real cgroup; and how fast the database grows while sampling.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open.js';
import type { SourceLocation } from '../sampler/locate.js';
import { parseProcCgroup } from '../sampler/parse.js';
import { startSamplerWith } from '../sampler/sampler.js';
import type { Bench, BenchFigure } from './figures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A stand-in for Claude Code and its tools, 50 processes: a node process holding 50 MB, with 9 shells that each
 * wait for a sleep (18), 27 sleeps, and 4 pythons holding 24 MiB each (the ones over the fold threshold).
 */
const TREE_SCRIPT = `
const { spawn } = require('node:child_process');
const run = (cmd, args) => spawn(cmd, args, { stdio: 'ignore' });
for (let i = 0; i < 9; i++) run('bash', ['-c', 'sleep 3600; true']);
for (let i = 0; i < 27; i++) run('sleep', ['3600']);
for (let i = 0; i < 4; i++) run('python3', ['-c', 'import time; b = b"x" * (24 << 20); time.sleep(3600)']);
globalThis.hold = Buffer.alloc(50 << 20, 1);
setInterval(() => {}, 1000);
`;
const TREE_PROCESSES = 50;

function insertRun(db: Db): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir,
       prompt_bytes, prompt_sha256, owner_pid, owner_host)
     VALUES (?, 'running', ?, 'bench', 'bench', '/', 'host', ?, 'bench', '/', 0, '', ?, 'bench')`,
  ).run(id, Date.now(), `bench-${id}`, process.pid);
  return id;
}

/** This process's CPU over `seconds` while `during` runs, as % of one core. */
async function cpuPercent(seconds: number, during: () => Promise<number>): Promise<{ percent: number; samples: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const samples = await during();
  const used = process.cpuUsage(cpu);
  const wallUs = Number(process.hrtime.bigint() - start) / 1000;
  return { percent: ((used.user + used.system) / wallUs) * 100, samples };
}

/** The bench process's own cgroup, on pure cgroup v2 hosts: as many files to read as a container's. */
function ownCgroupV2(): SourceLocation | null {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) return null;
  const path = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'))?.find((m) => m.controllers.length === 0)?.path;
  const dir = path === undefined ? null : join('/sys/fs/cgroup', path);
  return dir && existsSync(join(dir, 'memory.current')) ? { kind: 'cgroup-v2', dir, pid: process.pid } : null;
}

/** Bytes the database file takes, its WAL folded in. */
function databaseBytes(db: Db): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}

/** Processes in the tree of `pid` (the tree's processes must all be up before measuring). */
function treeSize(pid: number): number {
  let n = 0;
  const walk = (p: number) => {
    n++;
    for (const tid of readdirSync(`/proc/${p}/task`)) {
      for (const child of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) walk(Number(child));
    }
  };
  walk(pid);
  return n;
}

export const runSamplerBench: Bench = async ({ quick }) => {
  const seconds = quick ? 5 : 60;
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-sampler-'));
  const db = openDb(join(dir, 'agentpod.db'));
  const tree = spawn(process.execPath, ['-e', TREE_SCRIPT], { stdio: 'ignore', detached: true });
  try {
    // Let the tree start (the pythons fill their 24 MiB).
    for (let waited = 0; treeSize(tree.pid!) < TREE_PROCESSES && waited < 10_000; waited += 100) await sleep(100);
    await sleep(1000);
    const processes = treeSize(tree.pid!);
    const idle = await cpuPercent(seconds, async () => {
      await sleep(seconds * 1000);
      return 0;
    });
    const sources: { name: string; location: SourceLocation }[] = [{ name: `proc, tree of ${processes} processes`, location: { kind: 'proc', pid: tree.pid!, reason: 'bench' } }];
    const cgroup = ownCgroupV2();
    if (cgroup) sources.push({ name: 'cgroup-v2', location: cgroup });

    const sample = async (location: SourceLocation, intervalMs: number, processSampleEvery: number, ms: number) => {
      const sampler = startSamplerWith({ db, runId: insertRun(db), containerName: 'bench', intervalMs, processSampleEvery }, async () => location);
      await sleep(ms);
      return (await sampler.stop()).samples;
    };
    // A run lasts minutes: compile the code paths and prepare the statements first, outside the measurement.
    await sample(sources[0].location, 10, 1, 1000);

    const figures: BenchFigure[] = [];
    for (const { name, location } of sources) {
      for (const intervalMs of [100, 1000]) {
        for (const processSampleEvery of [1, 0]) {
          const bytesBefore = databaseBytes(db);
          const measured = await cpuPercent(seconds, () => sample(location, intervalMs, processSampleEvery, seconds * 1000));
          const growthPerHour = ((databaseBytes(db) - bytesBefore) / seconds) * 3600;
          const what = processSampleEvery ? 'with per-process samples every sample' : 'without per-process samples';
          figures.push({
            name: `sampler CPU, ${name}, ${intervalMs} ms interval, ${what}`,
            value: Math.max(0, measured.percent - idle.percent),
            unit: '% of one core',
            baseline: idle.percent,
            goal: '< 1% of one core',
            note: `${measured.samples} samples in ${seconds} s; value = process CPU while sampling (${measured.percent.toFixed(3)}%) minus the same process idle (baseline)`,
          });
          figures.push({
            name: `database growth, ${name}, ${intervalMs} ms interval, ${what}`,
            value: growthPerHour / 2 ** 20,
            unit: 'MiB per hour',
            note: `database pages added over ${seconds} s of sampling, times 3600 / ${seconds}`,
          });
        }
      }
    }
    return figures;
  } finally {
    process.kill(-tree.pid!, 'SIGKILL');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
