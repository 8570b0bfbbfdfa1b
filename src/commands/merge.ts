import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { resolveStore, type StoreArgs } from './common.js';

interface MergeArgs extends StoreArgs {
  shards?: string[];
  into?: string;
  'batch-dir'?: string;
  json: boolean;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge [shards..]',
  describe: "Merge trial shards (a Slurm batch's SQLite files) into the database; idempotent",
  builder: (y) =>
    y
      .positional('shards', { type: 'string', array: true, describe: 'shard files (SHARD.db ...)' })
      .option('into', { type: 'string', describe: 'database to merge into (default: --db, else <data dir>/agentpod.db)' })
      .option('batch-dir', { type: 'string', describe: "a Slurm batch folder: all its shards, Slurm's state of its tasks, a row for each task that died" })
      .option('data-dir', { type: 'string', describe: 'data dir (default $AGENTPOD_DATA_DIR, $XDG_DATA_HOME/agentpod or ~/.local/share/agentpod)' })
      .option('db', { type: 'string', describe: 'database file (default <data dir>/agentpod.db)' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 merge --batch-dir ~/.local/share/agentpod/batches/b1a2b3c4d5e6', 'what the merge job does')
      .example('$0 merge s001-*.db --into merged.db', 'shards by hand, into another database'),
  handler: async (args) => {
    const shards = args.shards ?? [];
    if (shards.length === 0 && !args['batch-dir']) throw new ConfigError('merge needs shard files or --batch-dir DIR');
    const { resolve } = await import('node:path');
    const { openDb } = await import('../db/open.js');
    const { mergeShards } = await import('../slurm/merge.js');
    const dbPath = args.into ? resolve(args.into) : resolveStore(args).dbPath;
    const db = openDb(dbPath);
    try {
      const reports = mergeShards(db, shards.map((s) => resolve(s)));
      let deadTaskRows = 0;
      let batchStatus: string | null = null;
      if (args['batch-dir']) {
        const { collectBatch } = await import('../slurm/collect.js');
        const c = await collectBatch(db, resolve(args['batch-dir']));
        reports.push(...c.shards);
        deadTaskRows = c.deadTaskRows;
        batchStatus = c.batchStatus;
      }
      const count = (status: string) => reports.filter((r) => r.status === status).length;
      const rows = reports.reduce((sum, r) => sum + r.rows, 0);
      for (const r of reports) if (r.status === 'skipped') process.stderr.write(`agentpod: skipped ${r.file}: ${r.reason}\n`);
      if (args.json) process.stdout.write(`${JSON.stringify({ into: dbPath, shards: reports, deadTaskRows, batchStatus })}\n`);
      else
        process.stdout.write(
          `merged ${count('merged')} shard(s) into ${dbPath} (${rows} rows), ${count('already merged')} already merged, ${count('skipped')} skipped` +
            `${args['batch-dir'] ? `; ${deadTaskRows} task(s) that died before publishing recorded from Slurm; batch ${batchStatus ?? '-'}` : ''}\n`,
        );
      if (count('skipped') > 0) process.exitCode = 1;
    } finally {
      db.close();
    }
  },
};
