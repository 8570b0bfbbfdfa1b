// Merging trial shards: exact, idempotent, one transaction per shard, integer ids remapped, bad shards skipped,
// a reader undisturbed. Shards are made the way an array task makes them (openShard, real migrations, an
// ingested trace, finishShard, publishShard).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { seededRandom, writeSyntheticTrace } from '../../src/ingest/synthetic.js';
import { mergeShards } from '../../src/slurm/merge.js';
import { finishShard, openShard, parseShardFileName, publishShard, shardFileName, sweepLocalShards } from '../../src/slurm/shard.js';
import { insertRun, insertSamples } from '../helpers/analysis-db.js';
import { testManifest } from '../helpers/slurm-manifest.js';

const TABLES = ['runs', 'samples', 'ingest_files', 'messages', 'response_lines', 'responses', 'tool_uses', 'tool_results', 'session_facts'];

const count = (db: Db | Database.Database, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

interface Made {
  file: string;
  runId: string;
}

/** One trial's shard as a task leaves it: a run row, samples, an ingested trace; published into batchDir. */
async function makeShard(work: string, batchDir: string, index: number, opts: { finish?: boolean; tamper?: (db: Db) => void } = {}): Promise<Made> {
  const m = testManifest();
  const shard = openShard(join(work, 'node'), { submission: 1, index, jobId: String(100 + index), restarts: 0 }, m.batch);
  const runId = `20261201-2200${String(index).padStart(2, '0')}-aaaa${index}`;
  insertRun(shard.db, { id: runId, batch_id: m.batch.id, instance_id: m.trials[index].instanceId, profile: m.trials[index].profile, trial_index: 0, slurm_job_id: String(100 + index) });
  insertSamples(shard.db, runId, Array.from({ length: 20 + index }, (_, i) => ({ t_ms: 1000 + i * 100, memory_current_bytes: i * 1e6 })));
  const trace = join(work, `trace-${index}.jsonl`);
  await writeSyntheticTrace(trace, 20_000, seededRandom(index + 1));
  await ingestPaths(shard.db, [trace]);
  opts.tamper?.(shard.db);
  if (opts.finish === false) {
    shard.db.pragma('journal_mode = DELETE');
    shard.db.close();
    const file = join(batchDir, 'shards', shardFileName(shard.name));
    copyFileSync(shard.localPath, file);
    return { file, runId };
  }
  finishShard(shard, { batchId: m.batch.id, instanceId: m.trials[index].instanceId, profile: m.trials[index].profile, trialIndex: 0, node: 'node1', startedAt: 1, error: null });
  return { file: publishShard(shard, batchDir), runId };
}

function fresh() {
  const work = mkdtempSync(join(tmpdir(), 'agentpod-merge-'));
  const batchDir = join(work, 'batch');
  const db = openDb(join(work, 'agentpod.db'));
  return { work, batchDir, db };
}

describe('agentpod merge', () => {
  it('is exact: every row of every shard, once; trace rows keep pointing at their own file', async () => {
    const { work, batchDir, db } = fresh();
    const shards = await Promise.all([0, 1, 2, 3].map((i) => makeShard(work, batchDir, i)));
    const expected = Object.fromEntries(TABLES.map((t) => [t, 0]));
    const perShardLines: string[][] = [];
    for (const s of shards) {
      const shard = new Database(s.file, { readonly: true });
      for (const t of TABLES) expected[t] += count(shard, t);
      perShardLines.push((shard.prepare('SELECT f.path || \':\' || m.line_no AS k FROM messages m JOIN ingest_files f ON f.id = m.file_id ORDER BY k').all() as { k: string }[]).map((r) => r.k));
      // Each shard numbers its own trace file 1: the merge has to map them.
      expect(shard.prepare('SELECT id FROM ingest_files').all()).toEqual([{ id: 1 }]);
      shard.close();
    }
    const reports = mergeShards(db, shards.map((s) => s.file));
    expect(reports.map((r) => r.status)).toEqual(['merged', 'merged', 'merged', 'merged']);
    expect(reports.every((r) => r.runs === 1 && r.rows > 0)).toBe(true);
    for (const t of TABLES) expect([t, count(db, t)]).toEqual([t, expected[t]]);
    expect(count(db, 'batches')).toBe(1); // the batch's own row, carried by every shard
    const merged = (db.prepare('SELECT f.path || \':\' || m.line_no AS k FROM messages m JOIN ingest_files f ON f.id = m.file_id ORDER BY k').all() as { k: string }[]).map((r) => r.k);
    expect(merged).toEqual(perShardLines.flat().sort());
    // Derived rows point at lines of the right file too.
    const orphans = db.prepare('SELECT COUNT(*) AS n FROM responses r LEFT JOIN response_lines l ON l.file_id = r.file_id AND l.line_no = r.line_no WHERE l.message_id IS NULL').get() as { n: number };
    expect(orphans.n).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM merged_shards').get()).toEqual({ n: 4 });
  });

  it('is idempotent: merging again, or a copy under another name, adds nothing', async () => {
    const { work, batchDir, db } = fresh();
    const shards = await Promise.all([0, 1].map((i) => makeShard(work, batchDir, i)));
    mergeShards(db, shards.map((s) => s.file));
    const before = TABLES.map((t) => count(db, t));
    const copy = join(work, 'copy.db');
    copyFileSync(shards[0].file, copy);
    const again = mergeShards(db, [...shards.map((s) => s.file), copy]);
    expect(again.map((r) => [r.status, r.rows])).toEqual([['already merged', 0], ['already merged', 0], ['already merged', 0]]);
    expect(TABLES.map((t) => count(db, t))).toEqual(before);
  });

  it('skips a corrupt, truncated, half-written or newer shard, and still merges the good ones', async () => {
    const { work, batchDir, db } = fresh();
    const good = await makeShard(work, batchDir, 0);
    const garbage = join(work, 'garbage.db');
    writeFileSync(garbage, 'this is not a database'.repeat(100));
    const truncated = join(work, 'truncated.db');
    const bytes = readFileSync((await makeShard(work, batchDir, 1)).file);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const halfWritten = await makeShard(work, batchDir, 2, { finish: false });
    const newer = await makeShard(work, batchDir, 3, { tamper: (s) => s.prepare("INSERT INTO schema_migrations (name, applied_at_ms) VALUES ('zzz-999-from-the-future', 0)").run() });
    const reports = mergeShards(db, [garbage, truncated, halfWritten.file, newer.file, good.file]);
    expect(reports.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'merged']);
    expect(reports[0].reason).toMatch(/cannot read it|not a sound/);
    expect(reports[1].reason).toMatch(/cannot read it|not a sound/);
    expect(reports[2].reason).toMatch(/half-written/);
    expect(reports[3].reason).toMatch(/newer agentpod.*zzz-999/);
    expect(db.prepare('SELECT id FROM runs').all()).toEqual([{ id: good.runId }]);
  });

  it('one transaction per shard: a shard that fails at commit leaves nothing behind', async () => {
    const { work, batchDir, db } = fresh();
    const broken = await makeShard(work, batchDir, 0, {
      tamper: (s) => {
        s.pragma('foreign_keys = OFF');
        insertRun(s, { id: 'orphan', batch_id: 'no-such-batch' });
      },
    });
    const good = await makeShard(work, batchDir, 1);
    const reports = mergeShards(db, [broken.file, good.file]);
    expect(reports[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/nothing of it kept.*FOREIGN KEY/) });
    expect(reports[1].status).toBe('merged');
    expect((db.prepare('SELECT id FROM runs').all() as { id: string }[]).map((r) => r.id)).toEqual([good.runId]);
    expect(count(db, 'samples')).toBe(21);
    expect(db.prepare('SELECT COUNT(*) AS n FROM merged_shards').get()).toEqual({ n: 1 });
  });

  it('is safe while a reader has the database open: the reader keeps its snapshot, then sees the rows', async () => {
    const { work, batchDir, db } = fresh();
    const shard = await makeShard(work, batchDir, 0);
    const reader = new Database(join(work, 'agentpod.db'), { readonly: true });
    reader.prepare('BEGIN').run();
    expect(count(reader, 'runs')).toBe(0);
    expect(mergeShards(db, [shard.file])[0].status).toBe('merged');
    expect(count(reader, 'runs')).toBe(0);
    reader.prepare('COMMIT').run();
    expect(count(reader, 'runs')).toBe(1);
    reader.close();
  });
});

describe('shards', () => {
  it('names carry the submission, trial index, job id and restart', () => {
    const name = { submission: 2, index: 17, jobId: '12345', restarts: 1 };
    expect(shardFileName(name)).toBe('s002-i000017-j12345-r1.db');
    expect(parseShardFileName('s002-i000017-j12345-r1.db')).toEqual(name);
    expect(parseShardFileName('.s002-i000017-j12345-r1.db.77.tmp')).toBeNull();
  });

  it('a published shard is one file (no -wal), and unpublished ones of dead tasks are swept from the node', async () => {
    const { work, batchDir } = fresh();
    const s = await makeShard(work, batchDir, 0);
    const db = new Database(s.file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
    writeFileSync(join(work, 'node', 's001-i000009-j9-r0-p999999.db'), '');
    writeFileSync(join(work, 'node', `s001-i000008-j8-r0-p${process.pid}.db`), '');
    expect(sweepLocalShards(join(work, 'node'), (pid) => pid === process.pid)).toEqual(['s001-i000009-j9-r0-p999999.db']);
  });
});
