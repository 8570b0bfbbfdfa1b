// Options shared by commands that touch the data dir and database. The database module (a native addon) is
// loaded only when a command opens it.
import type { Argv } from 'yargs';
import type { Db } from '../db/open.js';
import { dataDir, dbPath } from '../paths.js';

export interface StoreArgs {
  'data-dir'?: string;
  db?: string;
}

export function withStoreOptions<T>(y: Argv<T>) {
  return y
    .option('data-dir', { type: 'string', requiresArg: true, describe: 'data dir (default $AGENTPOD_DATA_DIR, $XDG_DATA_HOME/agentpod or ~/.local/share/agentpod)' })
    .option('db', { type: 'string', requiresArg: true, describe: 'database file (default <data dir>/agentpod.db)' });
}

export function resolveStore(args: StoreArgs): { dataDir: string; dbPath: string } {
  const dir = dataDir(args['data-dir']);
  return { dataDir: dir, dbPath: dbPath(dir, args.db) };
}

export async function openStore(args: StoreArgs): Promise<Db> {
  const { openDb } = await import('../db/open.js');
  return openDb(resolveStore(args).dbPath);
}
