// A trial's own SQLite shard. An array task writes its rows into a database on node-local disk (SQLite's
// locking is unreliable on network filesystems), marks it complete in shard_meta, and publishes it into the
// batch folder with a rename as its last act: a shard file that exists there is whole.
import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../db/open.js';
import { batchPaths, type ManifestBatchRow } from './manifest.js';

/** The shard table: one row, written last. Its presence with finished_at set is what "complete" means. */
export const SHARD_META_TABLE = 'shard_meta';

export interface ShardName {
  submission: number;
  index: number;
  jobId: string;
  restarts: number;
}

/** s001-i000017-j12345-r0.db: the submission and trial index it belongs to, the task's job id and restart. */
export function shardFileName(n: ShardName): string {
  return `s${String(n.submission).padStart(3, '0')}-i${String(n.index).padStart(6, '0')}-j${n.jobId}-r${n.restarts}.db`;
}

export function parseShardFileName(name: string): ShardName | null {
  const m = /^s(\d+)-i(\d+)-j(\d+)-r(\d+)\.db$/.exec(name);
  return m ? { submission: Number(m[1]), index: Number(m[2]), jobId: m[3], restarts: Number(m[4]) } : null;
}

/** Published shards of a batch folder (temporary copies being published start with a dot and are left out). */
export function publishedShards(batchDir: string): { file: string; name: ShardName }[] {
  const dir = batchPaths(batchDir).shards;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const name = parseShardFileName(n);
    return name ? [{ file: join(dir, n), name }] : [];
  });
}

export interface OpenShard {
  db: Db;
  shardId: string;
  localPath: string;
  name: ShardName;
}

/** Opens the task's shard on node-local disk, with every migration and the batch's row (the runs' foreign key). */
export function openShard(localDir: string, name: ShardName, batch: ManifestBatchRow, now = Date.now()): OpenShard {
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  const localPath = join(localDir, `${shardFileName(name).replace(/\.db$/, '')}-p${process.pid}.db`);
  rmSync(localPath, { force: true });
  const db = openDb(localPath);
  db.prepare(
    `INSERT INTO batches (id, name, tasks_file, tasks_sha256, profiles, repeat, parallel, created_at, status)
     VALUES (@id, @name, @tasksFile, @tasksSha256, @profiles, @repeat, NULL, @now, 'running')`,
  ).run({ ...batch, profiles: JSON.stringify(batch.profiles), now });
  db.exec(`CREATE TABLE ${SHARD_META_TABLE} (
    shard_id TEXT NOT NULL, batch_id TEXT NOT NULL, submission INTEGER NOT NULL, trial_index INTEGER NOT NULL,
    instance_id TEXT NOT NULL, profile TEXT NOT NULL, repeat_index INTEGER NOT NULL, slurm_job_id TEXT, node TEXT,
    started_at INTEGER NOT NULL, finished_at INTEGER, error TEXT)`);
  return { db, shardId: randomUUID(), localPath, name };
}

export interface ShardEnd {
  batchId: string;
  instanceId: string;
  profile: string;
  trialIndex: number;
  node: string | null;
  startedAt: number;
  /** agentpod's own failure before or around the run (image fix, prompt), if any. */
  error: string | null;
}

/** Writes the completion row and turns the shard into one self-contained file (no -wal beside it). */
export function finishShard(shard: OpenShard, end: ShardEnd, now = Date.now()): void {
  shard.db
    .prepare(
      `INSERT INTO ${SHARD_META_TABLE} (shard_id, batch_id, submission, trial_index, instance_id, profile, repeat_index, slurm_job_id, node, started_at, finished_at, error)
       VALUES (@shardId, @batchId, @submission, @index, @instanceId, @profile, @trialIndex, @jobId, @node, @startedAt, @now, @error)`,
    )
    .run({ shardId: shard.shardId, ...end, submission: shard.name.submission, index: shard.name.index, jobId: shard.name.jobId, now });
  shard.db.pragma('wal_checkpoint(TRUNCATE)');
  shard.db.pragma('journal_mode = DELETE');
  shard.db.close();
}

/** Copies the finished shard into the batch folder under a temporary name, syncs it, then renames it into place. */
export function publishShard(shard: OpenShard, batchDir: string): string {
  const dir = batchPaths(batchDir).shards;
  mkdirSync(dir, { recursive: true });
  const final = join(dir, shardFileName(shard.name));
  const partial = join(dir, `.${shardFileName(shard.name)}.${process.pid}.tmp`);
  copyFileSync(shard.localPath, partial);
  const fd = openSync(partial, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, final);
  rmSync(shard.localPath, { force: true });
  return final;
}

/** Shards a dead task left on this node's disk (never published): removed. Returns their names. */
export function sweepLocalShards(localDir: string, isAlive: (pid: number) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(localDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /-p(\d+)\.db(-wal|-shm|-journal)?$/.exec(n);
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(join(localDir, n), { force: true });
    removed.push(n);
  }
  return removed;
}
