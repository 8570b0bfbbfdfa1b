import type { CommandModule } from 'yargs';
import { withStoreOptions, type StoreArgs } from './common.js';
import { openExistingStore } from './analysis-common.js';

interface PredsArgs extends StoreArgs {
  batch: string;
  profile?: string;
  trial?: number;
  'model-name'?: string;
}

const predsCommand: CommandModule<object, PredsArgs> = {
  command: 'preds',
  describe: 'A batch\'s patches as SWE-bench predictions (JSONL: instance_id, model_name_or_path, model_patch) for the harness or sb-cli',
  builder: (y) =>
    withStoreOptions(y)
      .option('batch', { type: 'string', demandOption: true, describe: 'batch id' })
      .option('profile', { type: 'string', describe: 'the profile whose trials to export (needed when the batch has several)' })
      .option('trial', { type: 'number', describe: 'the repeat to export, 0-based (needed when the batch has several)' })
      .option('model-name', { type: 'string', describe: 'model_name_or_path (default agentpod__<batch>__<profile>__<trial>)' })
      .example('$0 export preds --batch b1 --profile small --trial 0 > preds.jsonl', 'then: python -m swebench.harness.run_evaluation --predictions_path preds.jsonl …'),
  handler: async (args) => {
    const { batchPredictions } = await import('../grading/preds.js');
    const db = await openExistingStore(args, { readonly: true });
    try {
      const preds = batchPredictions(db, { batchId: args.batch, profile: args.profile, trial: args.trial, modelName: args['model-name'] });
      process.stdout.write(preds.map((p) => `${JSON.stringify(p)}\n`).join(''));
      process.stderr.write(`${preds.length} prediction(s), ${preds.filter((p) => p.model_patch === '').length} with an empty patch\n`);
    } finally {
      db.close();
    }
  },
};

export const exportCommand: CommandModule = {
  command: 'export',
  describe: 'Export data in other tools\' formats: preds (SWE-bench predictions)',
  builder: (y) => y.command(predsCommand).demandCommand(1, 'export preds --batch ID'),
  handler: () => {},
};
