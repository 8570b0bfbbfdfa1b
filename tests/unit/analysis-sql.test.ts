import { rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadOnlySql } from '../../src/analysis/sql.js';
import { openDb, type Db } from '../../src/db/open.js';
import { ConfigError } from '../../src/errors.js';
import { analysisDb, insertRun } from '../helpers/analysis-db.js';
import { cliPath } from '../helpers/user.js';

let path: string;
let dir: string;
let db: Db;
beforeAll(() => {
  const fresh = analysisDb();
  ({ path, dir } = fresh);
  insertRun(fresh.db, { id: 'r1', status: 'ok', started_at: 1000 });
  insertRun(fresh.db, { id: 'r2', status: 'oom', started_at: 2000 });
  fresh.db.close();
  db = openDb(path, { readonly: true });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runReadOnlySql', () => {
  it('returns the columns and rows of a SELECT, keeping duplicate column names apart', () => {
    const { columns, rows } = runReadOnlySql(db, 'SELECT a.id, b.id, a.status FROM runs a JOIN runs b ON b.id <> a.id ORDER BY a.id');
    expect(columns.map((c) => c.key)).toEqual(['id', 'id_2', 'status']);
    expect(rows).toEqual([
      { id: 'r1', id_2: 'r2', status: 'ok' },
      { id: 'r2', id_2: 'r1', status: 'oom' },
    ]);
    expect(runReadOnlySql(db, 'PRAGMA table_info(batches)').rows.length).toBeGreaterThan(0);
  });

  it.each([
    'DELETE FROM runs',
    "INSERT INTO runs (id) VALUES ('x') RETURNING id",
    "UPDATE runs SET status = 'ok'",
    'CREATE TABLE t (x)',
    'DROP TABLE runs',
    "ATTACH '/tmp/other.db' AS other",
    'BEGIN',
  ])('refuses %s with a clear error, exit 2', (sql) => {
    let error: unknown;
    try {
      runReadOnlySql(db, sql);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^agentpod sql is read-only: /);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('reports SQL errors in one line', () => {
    expect(() => runReadOnlySql(db, 'SELEKT 1')).toThrow(/^sql: near "SELEKT": syntax error$/);
    expect(() => runReadOnlySql(db, 'SELECT 1; SELECT 2')).toThrow(/^sql: /);
  });
});

describe('agentpod sql', () => {
  it('prints rows as CSV or JSON, and refuses a write with one line on stderr and exit 2, the database unchanged', async () => {
    const csv = await execa(process.execPath, [cliPath, 'sql', 'SELECT id, status FROM runs ORDER BY id', '--db', path, '--csv'], { reject: false, stripFinalNewline: false });
    expect(csv.stdout).toBe('id,status\r\nr1,ok\r\nr2,oom\r\n');
    const json = await execa(process.execPath, [cliPath, 'sql', 'SELECT id, started_at FROM runs ORDER BY id', '--db', path, '--json'], { reject: false });
    expect(JSON.parse(json.stdout)).toEqual([{ id: 'r1', started_at: 1000 }, { id: 'r2', started_at: 2000 }]);
    const refused = await execa(process.execPath, [cliPath, 'sql', 'DELETE FROM runs', '--db', path], { reject: false });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/^agentpod: agentpod sql is read-only: "DELETE" statements that change the database are refused/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(runReadOnlySql(db, 'SELECT COUNT(*) AS n FROM runs').rows).toEqual([{ n: 2 }]);
  });
});
