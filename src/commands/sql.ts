import type { CommandModule } from 'yargs';
import { withStoreOptions, type StoreArgs } from './common.js';
import { openExistingStore, outputFormat, printRows, withOutputOptions, type OutputArgs } from './analysis-common.js';

interface SqlArgs extends StoreArgs, OutputArgs {
  statement: string;
}

export const sqlCommand: CommandModule<object, SqlArgs> = {
  command: 'sql <statement>',
  describe: 'Run one read-only SQL statement against the database (tables: docs/schema-traces.md, docs/queries.md)',
  builder: (y) =>
    withOutputOptions(withStoreOptions(y))
      .positional('statement', { type: 'string', demandOption: true, describe: 'one SELECT (or other read-only) statement' })
      .example('$0 sql "SELECT status, COUNT(*) FROM runs GROUP BY status"', 'runs per status')
      .example('$0 sql "SELECT * FROM tool_calls LIMIT 5" --json', 'as JSON'),
  handler: async (args) => {
    const { runReadOnlySql } = await import('../analysis/sql.js');
    const db = await openExistingStore(args, { readonly: true });
    try {
      const { columns, rows } = runReadOnlySql(db, args.statement);
      printRows(rows, columns, outputFormat(args));
    } finally {
      db.close();
    }
  },
};
