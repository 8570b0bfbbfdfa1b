// Merging trial shards into one database: each shard in one transaction, or not at all. Rows keep their keys
// (run ids are unique everywhere: a timestamp and random bits), so INSERT OR IGNORE makes a second merge of a
// shard add nothing; merged_shards also records each shard by the id its task wrote, so it is not even read
// again. Integer ids local to a shard (ingest_files.id) are mapped onto the database's own through their
// natural key (the trace path). A shard that is corrupt, half-written or from a newer schema is reported and skipped.
import type { Db } from '../db/open.js';
import { SHARD_META_TABLE } from './shard.js';

export interface ShardReport {
  file: string;
  status: 'merged' | 'already merged' | 'skipped';
  shardId: string | null;
  batchId: string | null;
  /** Rows the merge added. */
  rows: number;
  runs: number;
  reason?: string;
}

/** Tables never copied: bookkeeping of one database. */
const OWN_TABLES = new Set(['schema_migrations', 'merged_shards', SHARD_META_TABLE]);

/** Columns that hold another table's integer id without declaring a foreign key. */
const UNDECLARED_REFERENCES: Record<string, Record<string, string>> = { responses: { file_id: 'ingest_files' } };

interface Column {
  name: string;
  pk: number;
  type: string;
}

interface TablePlan {
  table: string;
  columns: string[];
  /** This table's integer id is shard-local: mapped through this unique key. */
  remapKey?: string[];
  idColumn?: string;
  /** Columns holding the id of a remapped table. */
  references: Record<string, string>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function columnsOf(db: Db, schema: string, table: string): Column[] {
  return db.prepare(`PRAGMA ${schema}.table_info(${quote(table)})`).all() as Column[];
}

function tablesOf(db: Db, schema: string): string[] {
  return (db.prepare(`SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((t) => !OWN_TABLES.has(t));
}

/** Foreign keys of the database's tables: table → column → referenced table. */
function foreignKeys(db: Db, tables: string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const t of tables) {
    const refs: Record<string, string> = { ...UNDECLARED_REFERENCES[t] };
    for (const fk of db.prepare(`PRAGMA main.foreign_key_list(${quote(t)})`).all() as { table: string; from: string }[]) refs[fk.from] = fk.table;
    out.set(t, refs);
  }
  return out;
}

/** The unique key other than the integer primary key (ingest_files: path). */
function uniqueKey(db: Db, table: string, idColumn: string): string[] | null {
  for (const idx of db.prepare(`PRAGMA main.index_list(${quote(table)})`).all() as { name: string; unique: number }[]) {
    if (!idx.unique) continue;
    const cols = (db.prepare(`PRAGMA main.index_info(${quote(idx.name)})`).all() as { name: string }[]).map((c) => c.name);
    if (cols.length && !cols.includes(idColumn)) return cols;
  }
  return null;
}

/** How each of the shard's tables is copied, parents before children; a reason string when it cannot be. */
function planTables(db: Db): TablePlan[] | string {
  const shardTables = tablesOf(db, 'shard');
  const mainTables = new Set(tablesOf(db, 'main'));
  const fks = foreignKeys(db, [...mainTables]);
  const referenced = new Set([...fks.values()].flatMap((r) => Object.values(r)));
  const plans: TablePlan[] = [];
  for (const table of shardTables) {
    if (!mainTables.has(table)) return `it has table ${table}, which this database lacks (a newer agentpod wrote it?)`;
    const mainColumns = columnsOf(db, 'main', table);
    const shardColumns = columnsOf(db, 'shard', table);
    const missing = shardColumns.filter((c) => !mainColumns.some((m) => m.name === c.name));
    if (missing.length) return `its table ${table} has column ${missing[0].name}, which this database lacks (a newer agentpod wrote it?)`;
    const pk = mainColumns.filter((c) => c.pk > 0);
    const plan: TablePlan = { table, columns: shardColumns.map((c) => c.name), references: {} };
    // An INTEGER PRIMARY KEY is a rowid: numbered per database, so it cannot travel as it is.
    if (pk.length === 1 && pk[0].type.toUpperCase() === 'INTEGER' && referenced.has(table)) {
      const key = uniqueKey(db, table, pk[0].name);
      if (!key) return `table ${table} has integer ids other tables refer to, and no unique key to map them by`;
      plan.remapKey = key;
      plan.idColumn = pk[0].name;
    }
    for (const [column, target] of Object.entries(fks.get(table) ?? {})) if (plan.columns.includes(column)) plan.references[column] = target;
    plans.push(plan);
  }
  // Parents first (foreign keys are also deferred to the commit, but the id maps must exist before their users).
  const order: TablePlan[] = [];
  const placed = new Set<string>();
  const visit = (p: TablePlan, depth = 0) => {
    if (placed.has(p.table) || depth > plans.length) return;
    for (const target of Object.values(p.references)) {
      const parent = plans.find((x) => x.table === target);
      if (parent && parent !== p) visit(parent, depth + 1);
    }
    if (!placed.has(p.table)) {
      placed.add(p.table);
      order.push(p);
    }
  };
  for (const p of plans) visit(p);
  return order;
}

const mapTable = (table: string) => `temp.${quote(`merge_map_${table}`)}`;

/** Copies one table; returns the rows added. */
function copyTable(db: Db, plan: TablePlan, remapped: Set<string>): number {
  const t = quote(plan.table);
  if (plan.remapKey && plan.idColumn) {
    const cols = plan.columns.filter((c) => c !== plan.idColumn);
    const added = db.prepare(`INSERT OR IGNORE INTO main.${t} (${cols.map(quote).join(', ')}) SELECT ${cols.map(quote).join(', ')} FROM shard.${t}`).run().changes;
    const map = mapTable(plan.table);
    db.exec(`CREATE TABLE IF NOT EXISTS ${map} (old INTEGER PRIMARY KEY, new INTEGER NOT NULL); DELETE FROM ${map};`);
    const on = plan.remapKey.map((k) => `m.${quote(k)} IS s.${quote(k)}`).join(' AND ');
    db.exec(`INSERT INTO ${map} (old, new) SELECT s.${quote(plan.idColumn)}, m.${quote(plan.idColumn)} FROM shard.${t} s JOIN main.${t} m ON ${on}`);
    remapped.add(plan.table);
    return added;
  }
  const joins: string[] = [];
  const select = plan.columns.map((c) => {
    const target = plan.references[c];
    if (!target || !remapped.has(target)) return `s.${quote(c)}`;
    const alias = `map_${c}`;
    joins.push(`JOIN ${mapTable(target)} ${alias} ON ${alias}.old = s.${quote(c)}`);
    return `${alias}.new`;
  });
  return db
    .prepare(`INSERT OR IGNORE INTO main.${t} (${plan.columns.map(quote).join(', ')}) SELECT ${select.join(', ')} FROM shard.${t} s ${joins.join(' ')}`)
    .run().changes;
}

interface ShardCheck {
  shardId: string;
  batchId: string;
  runs: number;
  /** Its applied migrations: shards with the same ones share a copy plan. */
  schema: string;
}

/**
 * Checks of the attached shard before anything is copied: a trial shard marked complete, not merged before (then
 * nothing more is read), a whole SQLite file, from a schema this database knows.
 */
function checkShard(db: Db, knownMigrations: Set<string>, merged: (shardId: string) => boolean): ShardCheck | string {
  const hasMeta = db.prepare(`SELECT 1 FROM shard.sqlite_master WHERE type = 'table' AND name = ?`).get(SHARD_META_TABLE);
  if (!hasMeta) return 'not a trial shard (no shard_meta table)';
  const meta = db.prepare(`SELECT shard_id AS shardId, batch_id AS batchId, finished_at AS finishedAt FROM shard.${SHARD_META_TABLE}`).get() as
    | { shardId: string; batchId: string; finishedAt: number | null }
    | undefined;
  if (!meta || meta.finishedAt === null) return 'half-written: its task never marked it complete';
  if (merged(meta.shardId)) return { shardId: meta.shardId, batchId: meta.batchId, runs: 0, schema: '' };
  const check = db.pragma('shard.quick_check', { simple: true });
  if (check !== 'ok') return `not a sound SQLite file (quick_check: ${String(check).slice(0, 120)})`;
  const migrations = (db.prepare('SELECT name FROM shard.schema_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  const unknown = migrations.filter((n) => !knownMigrations.has(n));
  if (unknown.length) return `written by a newer agentpod (migration ${unknown[0]} is unknown here)`;
  const runs = (db.prepare('SELECT COUNT(*) AS n FROM shard.runs').get() as { n: number }).n;
  return { shardId: meta.shardId, batchId: meta.batchId, runs, schema: migrations.join('\n') };
}

/** Merges each shard in its own transaction; a failing shard is reported and leaves nothing behind. */
export function mergeShards(db: Db, files: string[], now = () => Date.now()): ShardReport[] {
  const known = new Set((db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
  const alreadyMerged = db.prepare('SELECT 1 FROM merged_shards WHERE shard_id = ?');
  const record = db.prepare('INSERT INTO merged_shards (shard_id, batch_id, path, rows, merged_at) VALUES (?, ?, ?, ?, ?)');
  const isMerged = (shardId: string) => alreadyMerged.get(shardId) !== undefined;
  const plansBySchema = new Map<string, TablePlan[] | string>();
  const reports: ShardReport[] = [];
  for (const file of files) {
    const skipped = (reason: string) => reports.push({ file, status: 'skipped', shardId: null, batchId: null, rows: 0, runs: 0, reason });
    // Only read: a published shard is a plain rollback-journal file, so reading it writes nothing beside it.
    try {
      db.prepare('ATTACH DATABASE ? AS shard').run(file);
    } catch (e) {
      skipped(`cannot read it: ${(e as Error).message}`);
      continue;
    }
    try {
      let checked: ShardCheck | string;
      try {
        checked = checkShard(db, known, isMerged);
      } catch (e) {
        checked = `cannot read it: ${(e as Error).message}`;
      }
      if (typeof checked === 'string') {
        skipped(checked);
        continue;
      }
      const shard = checked;
      const base = { file, shardId: shard.shardId, batchId: shard.batchId, runs: shard.runs };
      if (isMerged(shard.shardId)) {
        reports.push({ ...base, status: 'already merged', rows: 0 });
        continue;
      }
      // Shards written by one agentpod share a schema: their copy plan is made once.
      const plans = plansBySchema.get(shard.schema) ?? planTables(db);
      plansBySchema.set(shard.schema, plans);
      if (typeof plans === 'string') {
        reports.push({ ...base, status: 'skipped', rows: 0, reason: plans });
        continue;
      }
      try {
        const rows = db.transaction(() => {
          db.pragma('defer_foreign_keys = ON');
          const remapped = new Set<string>();
          let added = 0;
          for (const plan of plans) added += copyTable(db, plan, remapped);
          record.run(shard.shardId, shard.batchId, file, added, now());
          return added;
        }).immediate();
        reports.push({ ...base, status: 'merged', rows });
      } catch (e) {
        reports.push({ ...base, status: 'skipped', rows: 0, reason: `merge failed, nothing of it kept: ${(e as Error).message}` });
      }
    } finally {
      db.prepare('DETACH DATABASE shard').run();
    }
  }
  return reports;
}
