import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError, UserError } from '../errors.js';
import { resolveStore, withStoreOptions, type StoreArgs } from './common.js';
import { openExistingStore } from './analysis-common.js';

interface ReportArgs extends StoreArgs {
  run?: string;
  batch?: string;
  output?: string;
}

function writeReport(path: string, html: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (e) {
    throw new UserError(`cannot write the report to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report [run]',
  describe: 'Write a self-contained HTML report of a run (memory, CPU, tool calls, patch) or of a batch (--batch)',
  builder: (y) =>
    withStoreOptions(y)
      .positional('run', { type: 'string', describe: 'run id' })
      .option('batch', { type: 'string', describe: 'compare the profiles of this batch instead' })
      .option('output', { alias: 'o', type: 'string', describe: 'HTML file (default <run folder>/report.html, or <data dir>/reports/batch-<id>.html)' })
      .example('$0 report 20260501-abc', 'writes the run folder\'s report.html and prints its path')
      .example('$0 report --batch b1 -o b1.html', 'profiles of batch b1 side by side'),
  handler: async (args) => {
    if ((args.run === undefined) === (args.batch === undefined)) throw new ConfigError('report: give a run id, or --batch ID (not both)');
    const { loadBatchReport, renderBatchReport } = await import('../report/batch-report.js');
    const { loadRunReport, renderRunReport } = await import('../report/run-report.js');
    const db = await openExistingStore(args);
    let path: string;
    let html: string;
    try {
      if (args.run !== undefined) {
        const data = loadRunReport(db, args.run);
        html = renderRunReport(data);
        path = args.output ?? join(String(data.run.run_dir), 'report.html');
      } else {
        const batchId = args.batch!;
        html = renderBatchReport(loadBatchReport(db, batchId));
        path = args.output ?? join(resolveStore(args).dataDir, 'reports', `batch-${batchId.replace(/[^\w.-]/g, '_')}.html`);
      }
    } finally {
      db.close();
    }
    writeReport(resolve(path), html);
    process.stdout.write(`${resolve(path)}\n`);
  },
};
