// Opens the agentpod database: WAL, a busy timeout for concurrent writers, all migrations applied.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { applyMigrations } from './migrate.js';
import { ALL_MIGRATIONS } from './schema/index.js';
import { UserError } from '../errors.js';

export type Db = Database.Database;

export class DatabaseOpenError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

/** SQLite opens a file it cannot write read-only without a word, and fails only at the first write: check first. */
function assertWritable(path: string): void {
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    try {
      accessSync(file, constants.W_OK);
    } catch {
      throw new DatabaseOpenError(path, `${file} is read-only for this user`);
    }
  }
}

/**
 * The addon's file, passed to better-sqlite3 directly: its default lookup (the `bindings` package) stats a dozen
 * candidate paths on every start. Undefined (the default lookup) when the usual build folder is not there.
 */
function nativeBinding(): string | undefined {
  try {
    const file = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

export function openDb(path: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) assertWritable(path);
  let db: Db;
  try {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, nativeBinding: nativeBinding() });
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
