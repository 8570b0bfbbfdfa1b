import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { openStore, withStoreOptions, type StoreArgs } from './common.js';

interface IngestArgs extends StoreArgs {
  paths: string[];
  json: boolean;
}

export const ingestCommand: CommandModule<object, IngestArgs> = {
  command: 'ingest [paths..]',
  describe: 'Put Claude Code session traces (*.jsonl, with subagent files) into the database; only new bytes are read',
  builder: (y) =>
    withStoreOptions(y)
      .positional('paths', { type: 'string', array: true, default: [] as string[], describe: 'trace files or folders (default ~/.claude/projects)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
      .example('$0 ingest', 'every trace under ~/.claude/projects')
      .example('$0 ingest ./traces --db /tmp/t.db --json', 'one folder into another database, JSON summary'),
  handler: async (args) => {
    const { defaultTraceRoot, ingestPaths } = await import('../ingest/index.js');
    const { formatProgress, formatSummary, throttled } = await import('../ingest/progress.js');
    const paths = args.paths.length > 0 ? args.paths : [defaultTraceRoot()];
    const db = await openStore(args);
    const tty = process.stderr.isTTY && !args.json;
    const summary = await ingestPaths(db, paths, {
      onProgress: tty ? throttled((p) => process.stderr.write(`\r\x1b[K${formatProgress(p)}`)) : undefined,
    });
    // The ingested sessions' tool-call and token figures, so the first query does not compute them.
    const { refreshToolCallGroups, refreshToolWindows } = await import('../analysis/stored.js');
    refreshToolCallGroups(db, {});
    refreshToolWindows(db, {});
    db.close();
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `ingested ${formatSummary(summary)}\n`);
    // Good lines are in; a non-zero exit still tells scripts that some lines were not.
    if (summary.errors > 0) {
      throw new UserError(`${summary.errors} malformed line(s) skipped and recorded in ingest_errors (agentpod sql "SELECT * FROM ingest_errors")`, 1);
    }
  },
};
