// Slurm figures (the `slurm` and `merge` benches). (1) Per-trial overhead of the Slurm engine: the same one-trial batch (fixed image cached,
// 2-turn scripted agent) run by the local engine and submitted with --slurm, alternated; the Slurm side is timed
// from the submit to the end of its array task (the shard published), so it includes scheduling, agentpod's and
// the container's srun steps and the podman set-up of a job. Needs the cluster of scripts/slurm-cluster.sh.
// (2) Merge throughput: 1,000 trial shards (a run, 60 samples, an ingested trace each) merged into one database,
// against reading every row of every shard (the floor of touching the data).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { openDb } from '../db/open.js';
import { ingestPaths } from '../ingest/index.js';
import { seededRandom, writeSyntheticTrace } from '../ingest/synthetic.js';
import { parseScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { mergeShards } from '../slurm/merge.js';
import { finishShard, openShard, publishShard } from '../slurm/shard.js';
import { fixedImageName } from '../swebench/image-name.js';
import type { Bench, BenchFigure } from './figures.js';
import { benchTempDir, benchUser, mustSucceed, runAsBenchUser, type BenchUser } from './launch.js';
import { alternate, elapsedMs, median, ratio } from './stats.js';
import { buildTestbedImageAs, calcFixScript, calcImageSpec } from './test-images.js';

const SCRIPT = calcFixScript(false);

const CLI = join(packageRoot, 'dist', 'cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function clusterUp(): Promise<boolean> {
  const r = await execa('sinfo', ['-h', '-o', '%T'], { reject: false });
  return r.exitCode === 0 && /idle|mixed|allocated/.test(String(r.stdout));
}

async function waitGone(jobIds: string[]): Promise<void> {
  for (;;) {
    const r = await execa('squeue', ['-h', '-r', '-o', '%F'], { reject: false });
    const queued = new Set(String(r.stdout).split('\n').map((l) => l.trim()));
    if (!jobIds.some((id) => queued.has(id))) return;
    await sleep(200);
  }
}

async function overheadFigure(user: BenchUser, runs: number): Promise<BenchFigure> {
  const name = 'slurm: one trial submitted with batch --slurm (submit to task end) vs the same trial in a local batch';
  if (!(await clusterUp())) return { name, value: null, unit: 'ms', note: 'no Slurm cluster here: scripts/slurm-cluster.sh up (root)' };
  const tag = `localhost/agentpod-bench-${randomBytes(3).toString('hex')}/slurm:1`;
  await buildTestbedImageAs(user, calcImageSpec(tag, true));
  const api = await startMockApi(parseScript(SCRIPT, 'slurm bench script'));
  const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-agentpod-bench', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const dataDir = benchTempDir(user, 'agentpod-bench-slurm-');
  const tasks = join(dataDir, 'one.jsonl');
  writeFileSync(tasks, `${JSON.stringify({ instance_id: 'calc__bench-1', image_name: tag })}\n`);
  chmodSync(tasks, 0o644);
  let n = 0;
  const batchArgs = () => ['batch', '--data-dir', dataDir, '--tasks', tasks, '--profiles', 'small', '--name', `bench-${++n}`, '--no-grade', '--json'];
  try {
    const local = () => runAsBenchUser(user, process.execPath, [CLI, ...batchArgs()], env).then((r) => mustSucceed('agentpod batch', r));
    const timedSlurm = async () => {
      const started = process.hrtime.bigint();
      const r = mustSucceed('agentpod batch --slurm', await runAsBenchUser(user, process.execPath, [CLI, ...batchArgs(), '--slurm'], env));
      const out = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { arrays: { jobId: string }[]; mergeJobId: string };
      await waitGone(out.arrays.map((a) => a.jobId));
      const ms = elapsedMs(started);
      await waitGone([out.mergeJobId]);
      return ms;
    };
    // Warm-up, not counted: the first trial fixes the image.
    await local();
    await timedSlurm();
    const { subjectMs, baselineMs } = await alternate(runs, timedSlurm, async () => {
      const started = process.hrtime.bigint();
      await local();
      return elapsedMs(started);
    });
    const value = median(subjectMs);
    const baseline = median(baselineMs);
    return {
      name,
      value: Math.round(value),
      unit: 'ms',
      baseline: Math.round(baseline),
      ratio: ratio(value, baseline),
      note: `median of ${runs} alternated runs each; per-trial overhead ${Math.round(value - baseline)} ms: sbatch and the manifest, scheduling (SchedulerParameters=sched_interval=1 here), the job's start, agentpod's srun step and the container's, podman's set-up for a job, the shard's publish (the merge job runs after and is not counted)`,
    };
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
    await runAsBenchUser(user, 'podman', ['rmi', '-f', fixedImageName(tag, user.uid, user.gid), tag], {});
  }
}

/** Shards as array tasks leave them: a run row, `samples` samples and a synthetic trace of about 12 KB. */
async function makeShards(dir: string, count: number, samples: number): Promise<string[]> {
  const batch = { id: 'bench-merge', name: 'bench', tasksFile: '/dev/null', tasksSha256: '0'.repeat(64), profiles: ['small'], repeat: 1 };
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const shard = openShard(join(dir, 'node'), { submission: 1, index: i, jobId: String(1000 + i), restarts: 0 }, batch);
    const runId = `20261201-000000-${i.toString(16).padStart(6, '0')}`;
    shard.db
      .prepare(
        `INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir, prompt_bytes, prompt_sha256,
           owner_pid, owner_host, batch_id, instance_id, trial_index) VALUES (?, 'ok', 0, 'img', 'small', '/testbed', 'host', ?, 'c', '/runs', 1, 'x', 1, 'n', 'bench-merge', ?, 0)`,
      )
      .run(runId, `session-${i}`, `inst-${i}`);
    const insert = shard.db.prepare('INSERT INTO samples (run_id, t_ms, source, memory_current_bytes, cpu_usage_usec) VALUES (?, ?, ?, ?, ?)');
    shard.db.transaction(() => {
      for (let s = 0; s < samples; s++) insert.run(runId, 1000 + s * 100, 'slurm-container-cgroup', s * 1e6, s * 1e4);
    })();
    const trace = join(dir, `trace-${i}.jsonl`);
    await writeSyntheticTrace(trace, 12_000, seededRandom(i + 1));
    await ingestPaths(shard.db, [trace]);
    finishShard(shard, { batchId: batch.id, instanceId: `inst-${i}`, profile: 'small', trialIndex: 0, node: 'n', startedAt: 0, error: null });
    files.push(publishShard(shard, join(dir, 'batch')));
  }
  return files;
}

/** Every row of every table of each shard, read and dropped. */
function readAll(files: string[]): number {
  let rows = 0;
  for (const file of files) {
    const db = new Database(file, { readonly: true });
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) rows += db.prepare(`SELECT * FROM "${name}"`).all().length;
    db.close();
  }
  return rows;
}

async function mergeFigure(count: number): Promise<BenchFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-merge-'));
  try {
    const files = await makeShards(dir, count, 60);
    const readStarted = process.hrtime.bigint();
    const rowsRead = readAll(files);
    const readMs = elapsedMs(readStarted);
    const db = openDb(join(dir, 'merged.db'));
    const started = process.hrtime.bigint();
    const reports = mergeShards(db, files);
    const mergeMs = elapsedMs(started);
    const runs = (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    const again = process.hrtime.bigint();
    mergeShards(db, files);
    const againMs = elapsedMs(again);
    db.close();
    if (runs !== count || reports.some((r) => r.status !== 'merged')) throw new Error(`merged ${runs} runs of ${count} shards`);
    const value = (count / mergeMs) * 1000;
    return {
      name: `merge: throughput, ${count} shards (1 run, 60 samples, a ~12 KB trace each)`,
      value: Math.round(value),
      unit: 'runs/s',
      baseline: Math.round((count / readMs) * 1000),
      ratio: ratio(readMs, mergeMs),
      note: `${Math.round(mergeMs)} ms for ${rowsRead} rows (${count} transactions); baseline: reading every row of every shard, ${Math.round(readMs)} ms; ratio = read time / merge time; merging them all again (every shard already merged): ${Math.round(againMs)} ms`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const runSlurmBench: Bench = async ({ quick }) => [await overheadFigure(benchUser(), quick ? 3 : 5)];

export const runMergeBench: Bench = async ({ quick }) => [await mergeFigure(quick ? 200 : 1000)];
