import type { CommandModule } from 'yargs';
import type { IngestSummary } from '../ingest/index.js';
import { openStore, withStoreOptions, type StoreArgs } from './common.js';

interface WatchArgs extends StoreArgs {
  paths: string[];
  json: boolean;
}

export const watchCommand: CommandModule<object, WatchArgs> = {
  command: 'watch [paths..]',
  describe: 'Keep ingesting Claude Code traces as they grow (until Ctrl-C)',
  builder: (y) =>
    withStoreOptions(y)
      .positional('paths', { type: 'string', array: true, default: [] as string[], describe: 'trace files or folders, existing or not yet (default ~/.claude/projects)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON summary line per ingest' })
      .example('$0 watch', 'follow every trace under ~/.claude/projects'),
  handler: async (args) => {
    const { defaultTraceRoot, startTraceWatch } = await import('../ingest/index.js');
    const { formatSummary } = await import('../ingest/progress.js');
    const paths = args.paths.length > 0 ? args.paths : [defaultTraceRoot()];
    const db = await openStore(args);
    const print = (summary: IngestSummary) => {
      if (summary.lines === 0 && summary.filesReread === 0 && !args.json) return;
      process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `ingested ${formatSummary(summary)}\n`);
    };
    const watcher = await startTraceWatch(db, paths, {
      onIngest: print,
      onError: (e) => process.stderr.write(`agentpod: watch: ${e.message}\n`),
    });
    process.stderr.write(`watching ${paths.join(', ')} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    print(await watcher.flush());
    await watcher.close();
    db.close();
  },
};
