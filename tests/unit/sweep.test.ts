import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open.js';
import { closeOrphanedRuns, isAgentpodAlive } from '../../src/run/sweep.js';

function insertRunning(db: ReturnType<typeof openDb>, id: string, pid: number, host = hostname()) {
  db.prepare(
    `INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host)
     VALUES (?, 'running', 1, 'img', 'default', '/w', 'host', ?, ?, '/r', 1, 'x', ?, ?)`,
  ).run(id, `session-${id}`, `agentpod-${id}`, pid, host);
}

describe('closeOrphanedRuns', () => {
  it('marks running rows of dead local agentpod processes interrupted, and only those', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'sweep-')), 'a.db'));
    insertRunning(db, 'dead', 99_999_999);
    insertRunning(db, 'mine', process.pid);
    insertRunning(db, 'elsewhere', 99_999_999, 'another-host');
    expect(closeOrphanedRuns(db)).toBe(1);
    const status = (id: string) => (db.prepare('SELECT status, finished_at FROM runs WHERE id = ?').get(id) as { status: string; finished_at: number | null });
    expect(status('dead')).toEqual({ status: 'interrupted', finished_at: null });
    expect(status('mine').status).toBe('running');
    expect(status('elsewhere').status).toBe('running');
  });
});

describe('isAgentpodAlive', () => {
  it('is true for this node process and false for an impossible pid', () => {
    expect(isAgentpodAlive(process.pid)).toBe(true);
    expect(isAgentpodAlive(99_999_999)).toBe(false);
  });
});
