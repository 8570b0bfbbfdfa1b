// Opens the agentpod database: WAL, a busy timeout for concurrent writers, all migrations applied.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { applyMigrations } from './migrate.js';
import { ALL_MIGRATIONS } from './schema/index.js';

export type Db = Database.Database;

export class DatabaseOpenError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

export function openDb(path: string, options: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    db.pragma('busy_timeout = 30000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      applyMigrations(db, ALL_MIGRATIONS);
    }
  } catch (e) {
    throw new DatabaseOpenError(path, (e as Error).message);
  }
  return db;
}
