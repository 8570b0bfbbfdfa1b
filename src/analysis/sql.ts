// `agentpod sql`: one read-only statement against the database.
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';
import type { Column, Row } from './output.js';

/** Names made unique (`id`, `id_2`, ...) so a row object keeps every column of `SELECT a.id, b.id`. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}

/** Runs `sql` on `db` (open it read-only too); a statement that could write is refused before it runs. */
export function runReadOnlySql(db: Db, sql: string): { columns: Column[]; rows: Row[] } {
  let stmt;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    throw new ConfigError(`sql: ${(e as Error).message}`);
  }
  // reader: the statement returns rows; readonly: SQLite says it cannot write (INSERT ... RETURNING is a reader that writes).
  if (!stmt.reader || !stmt.readonly) {
    throw new ConfigError(`agentpod sql is read-only: "${sql.trim().split(/\s+/)[0]}" statements that change the database are refused (use sqlite3 on a copy)`);
  }
  const keys = uniqueNames(stmt.columns().map((c) => c.name));
  const columns: Column[] = keys.map((key) => ({ key, kind: 'raw', about: '' }));
  try {
    const rows = (stmt.raw(true).all() as Row[keyof Row][][]).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])));
    return { columns, rows };
  } catch (e) {
    throw new ConfigError(`sql: ${(e as Error).message}`);
  }
}
