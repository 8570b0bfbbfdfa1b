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
  characterize?: boolean;
}

function writeReport(path: string, html: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (e) {
    throw new UserError(`cannot write the report to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const fileSafe = (id: string) => id.replace(/[^\w.-]/g, '_');

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report [run]',
  describe: 'Write a self-contained HTML report of a run (memory, CPU, tool calls, patch) or of a batch (--batch)',
  builder: (y) =>
    withStoreOptions(y)
      .positional('run', { type: 'string', describe: 'run id' })
      .option('batch', { type: 'string', describe: 'compare the profiles of this batch instead' })
      .option('characterize', { type: 'boolean', describe: 'with --batch: add the AgentCgroup study\'s pictures and measures (docs/characterization.md)' })
      .option('output', { alias: 'o', type: 'string', describe: 'HTML file (default <run folder>/report.html; imported runs: <data dir>/reports/run-<id>.html; batches: <data dir>/reports/batch-<id>.html)' })
      .example('$0 report 20260501-abc', 'writes the run folder\'s report.html and prints its path')
      .example('$0 report --batch b1 -o b1.html', 'profiles of batch b1 side by side')
      .example('$0 report --batch all_images_haiku --characterize', 'with the study\'s characterization pictures'),
  handler: async (args) => {
    if ((args.run === undefined) === (args.batch === undefined)) throw new ConfigError('report: give a run id, or --batch ID (not both)');
    if (args.characterize && args.batch === undefined) throw new ConfigError('report: --characterize goes with --batch ID');
    const { loadBatchReport, renderBatchReport } = await import('../report/batch-report.js');
    const { loadRunReport, renderRunReport } = await import('../report/run-report.js');
    const db = await openExistingStore(args);
    let path: string;
    let html: string;
    try {
      if (args.run !== undefined) {
        const data = loadRunReport(db, args.run);
        html = renderRunReport(data);
        // An imported run's folder is someone else's published data: its report goes to the data dir.
        const imported = data.run.origin !== undefined && data.run.origin !== 'agentpod';
        path = args.output ?? (imported ? join(resolveStore(args).dataDir, 'reports', `run-${fileSafe(args.run)}.html`) : join(String(data.run.run_dir), 'report.html'));
      } else {
        const batchId = args.batch!;
        html = renderBatchReport(loadBatchReport(db, batchId, { characterize: args.characterize }));
        path = args.output ?? join(resolveStore(args).dataDir, 'reports', `batch-${fileSafe(batchId)}.html`);
      }
    } finally {
      db.close();
    }
    writeReport(resolve(path), html);
    process.stdout.write(`${resolve(path)}\n`);
  },
};
