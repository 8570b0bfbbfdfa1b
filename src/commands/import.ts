import type { CommandModule } from 'yargs';
import { openStore, withStoreOptions, type StoreArgs } from './common.js';

interface AgentcgroupArgs extends StoreArgs {
  dirs: string[];
  batch?: string;
  json: boolean;
}

const agentcgroupCommand: CommandModule<object, AgentcgroupArgs> = {
  command: 'agentcgroup <dirs..>',
  describe: 'Import the AgentCgroup study\'s published runs: one batch per data set folder, one run per attempt_N',
  builder: (y) =>
    withStoreOptions(y)
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'data set folders holding <task>/attempt_N/{results,resources,tool_calls}.json and trace.jsonl' })
      .option('batch', { type: 'string', describe: 'batch id of the one data set given (default: the folder\'s name)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
      .example('$0 import agentcgroup data/experiments/all_images_haiku data/experiments/all_images_local', 'two data sets, two batches')
      .example('$0 query characterize --batch all_images_haiku', 'then the study\'s measures on one of them'),
  handler: async (args) => {
    const { importAgentcgroup, importHadErrors } = await import('../importers/agentcgroup/index.js');
    const { formatClosingLine, formatDataSetLine, formatProgressBar } = await import('../importers/agentcgroup/progress.js');
    const { throttled } = await import('../ingest/progress.js');
    const tty = process.stderr.isTTY && !args.json;
    const db = await openStore(args);
    let summary;
    try {
      summary = await importAgentcgroup(db, args.dirs, {
        batch: args.batch,
        onProgress: tty ? throttled((p) => process.stderr.write(`\r\x1b[K${formatProgressBar(p, process.stderr.columns)}`), 100) : undefined,
        onDataSet: (d) => {
          if (tty) process.stderr.write('\r\x1b[K');
          if (!args.json) process.stderr.write(`${formatDataSetLine(d)}\n`);
        },
      });
    } finally {
      db.close();
    }
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatClosingLine(summary)}\n`);
    // Everything usable is in; a script still learns that something was not.
    if (importHadErrors(summary)) process.exitCode = 1;
  },
};

export const importCommand: CommandModule = {
  command: 'import',
  describe: 'Import runs recorded elsewhere (the AgentCgroup study\'s published data) next to agentpod\'s own',
  builder: (y) => y.command(agentcgroupCommand).demandCommand(1, 'import agentcgroup DIR…'),
  handler: () => {},
};
