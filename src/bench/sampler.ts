// Sampler CPU cost: this process's CPU time (process.cpuUsage, all threads) while the sampler samples a live
// process tree (a node process with children, like the agent's) for N seconds, minus the same process idling
// for N seconds. At 100 ms and 1 s intervals, for the proc source and, on cgroup v2 hosts, a real cgroup.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open.js';
import type { SourceLocation } from '../sampler/locate.js';
import { parseProcCgroup } from '../sampler/parse.js';
import { startSamplerWith } from '../sampler/sampler.js';
import type { Bench, BenchFigure } from './figures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node process holding 50 MB with three child processes: a small stand-in for Claude Code and its tools. */
const TREE_SCRIPT = `
const { spawn } = require('node:child_process');
for (let i = 0; i < 3; i++) spawn('sleep', ['3600'], { stdio: 'ignore' });
globalThis.hold = Buffer.alloc(50 << 20, 1);
setInterval(() => {}, 1000);
`;

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
  return dir && existsSync(join(dir, 'memory.current')) ? { kind: 'cgroup-v2', dir } : null;
}

export const runSamplerBench: Bench = async ({ quick }) => {
  const seconds = quick ? 5 : 60;
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-sampler-'));
  const db = openDb(join(dir, 'agentpod.db'));
  const tree = spawn(process.execPath, ['-e', TREE_SCRIPT], { stdio: 'ignore', detached: true });
  try {
    await sleep(500); // let the tree start
    const idle = await cpuPercent(seconds, async () => {
      await sleep(seconds * 1000);
      return 0;
    });
    const sources: { name: string; location: SourceLocation }[] = [{ name: `proc, node tree of 4 processes`, location: { kind: 'proc', pid: tree.pid!, reason: 'bench' } }];
    const cgroup = ownCgroupV2();
    if (cgroup) sources.push({ name: 'cgroup-v2', location: cgroup });

    const sample = async (location: SourceLocation, intervalMs: number, ms: number) => {
      const sampler = startSamplerWith({ db, runId: insertRun(db), containerName: 'bench', intervalMs }, async () => location);
      await sleep(ms);
      return (await sampler.stop()).samples;
    };
    // A run lasts minutes: compile the code paths and prepare the statements first, outside the measurement.
    await sample(sources[0].location, 10, 1000);

    const figures: BenchFigure[] = [];
    for (const { name, location } of sources) {
      for (const intervalMs of [100, 1000]) {
        const measured = await cpuPercent(seconds, () => sample(location, intervalMs, seconds * 1000));
        figures.push({
          name: `sampler CPU, ${name}, ${intervalMs} ms interval`,
          value: Math.max(0, measured.percent - idle.percent),
          unit: '% of one core',
          baseline: idle.percent,
          goal: '< 1% of one core',
          note: `${measured.samples} samples in ${seconds} s; value = process CPU while sampling (${measured.percent.toFixed(3)}%) minus the same process idle (baseline)`,
        });
      }
    }
    return figures;
  } finally {
    process.kill(-tree.pid!, 'SIGKILL');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
