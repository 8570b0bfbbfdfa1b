// A database for the analysis tests: real migrations, runs and samples inserted directly, traces ingested.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { repoRoot } from './user.js';

export const FIXTURE_SESSION = '00000000-0000-4000-8000-00000000f1c5';
export const FIXTURE_TRACE_DIR = join(repoRoot, 'traces', 'fixtures', 'cli');
export const MB = 1e6;

export function analysisDb(): { db: Db; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-analysis-'));
  const path = join(dir, 'agentpod.db');
  const db = openDb(path);
  return { db, path, dir };
}

export type RunFields = { id: string } & Record<string, string | number | null>;

/** A runs row with the launcher's required columns filled in; `fields` override. */
export function insertRun(db: Db, fields: RunFields): void {
  const row: Record<string, string | number | null> = {
    status: 'ok', started_at: 0, image: 'localhost/test', profile: 'default', workdir: '/work', share_mode: 'host',
    session_id: `session-${fields.id}`, container_name: `agentpod-${fields.id}`, run_dir: `/nonexistent/${fields.id}`,
    prompt_bytes: 1, prompt_sha256: 'x', owner_pid: 1, owner_host: 'test', ...fields,
  };
  const keys = Object.keys(row);
  db.prepare(`INSERT INTO runs (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row);
}

export function insertBatch(db: Db, id: string, fields: Record<string, string | number | null> = {}): void {
  const row = { id, name: id, status: 'done', created_at: 0, ...fields };
  const keys = Object.keys(row);
  db.prepare(`INSERT INTO batches (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row);
}

export type SampleFields = { t_ms: number } & Record<string, number | string | null>;

export function insertSamples(db: Db, runId: string, samples: SampleFields[]): void {
  db.transaction(() => {
    for (const s of samples) {
      const row = { run_id: runId, source: 'cgroup-v2', ...s };
      const keys = Object.keys(row);
      db.prepare(`INSERT INTO samples (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row);
    }
  })();
}

/** The real Claude Code trace in traces/fixtures/cli (main conversation and one subagent). */
export async function ingestFixtureTrace(db: Db): Promise<void> {
  await ingestPaths(db, [FIXTURE_TRACE_DIR]);
}
