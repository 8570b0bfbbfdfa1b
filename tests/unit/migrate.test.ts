import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.js';

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_migrations' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('applyMigrations', () => {
  it('applies the pending ones in order, once', () => {
    const db = new Database(':memory:');
    const migrations = [
      { name: 'a-001', sql: 'CREATE TABLE a (x INTEGER)' },
      { name: 'a-002', sql: 'ALTER TABLE a ADD COLUMN y TEXT' },
    ];
    expect(applyMigrations(db, migrations.slice(0, 1))).toEqual(['a-001']);
    expect(applyMigrations(db, migrations)).toEqual(['a-002']);
    expect(applyMigrations(db, migrations)).toEqual([]);
    expect((db.prepare('PRAGMA table_info(a)').all() as { name: string }[]).map((c) => c.name)).toEqual(['x', 'y']);
  });

  it('is all or nothing: a failing migration leaves none of that call\'s applied, so no reader sees a half-built schema', () => {
    const db = new Database(':memory:');
    const migrations = [
      { name: 'a-001', sql: 'CREATE TABLE a (x INTEGER)' },
      { name: 'b-001', sql: 'CREATE TABLE b (x INTEGER)' },
      { name: 'b-002', sql: 'ALTER TABLE no_such_table ADD COLUMN y TEXT' },
    ];
    expect(() => applyMigrations(db, migrations)).toThrow(/no_such_table/);
    expect(tables(db)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 });
    expect(applyMigrations(db, migrations.slice(0, 2))).toEqual(['a-001', 'b-001']);
    expect(tables(db)).toEqual(['a', 'b']);
  });
});
