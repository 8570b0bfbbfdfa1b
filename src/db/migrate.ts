// Named, ordered schema migrations. Each module owns its list in schema/<module>.ts; a name once
// applied is never changed (add a new one instead).
import type Database from 'better-sqlite3';

export interface Migration {
  name: string;
  sql: string;
}

export function applyMigrations(db: Database.Database, migrations: Migration[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at_ms INTEGER NOT NULL
  )`);
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at_ms) VALUES (?, ?)');
  const done: string[] = [];
  const pending = () => {
    const applied = new Set((db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
    return migrations.filter((m) => !applied.has(m.name));
  };
  if (pending().length === 0) return done;
  // All pending migrations in one IMMEDIATE transaction: a second process migrating at the same moment waits
  // instead of applying twice, and a reader never sees a half-built schema (a table without its later columns).
  db.transaction(() => {
    for (const m of pending()) {
      db.exec(m.sql);
      record.run(m.name, Date.now());
      done.push(m.name);
    }
  }).immediate();
  return done;
}
