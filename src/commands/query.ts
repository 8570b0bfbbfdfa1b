import type { CommandModule } from 'yargs';
import type { RunFilter } from '../analysis/filter.js';
import type { Query, QueryOptions } from '../analysis/query.js';
import { ConfigError } from '../errors.js';
import { withStoreOptions, type StoreArgs } from './common.js';
import { openExistingStore, outputFormat, printRows, withOutputOptions, type OutputArgs } from './analysis-common.js';

interface FilterArgs {
  run?: string;
  batch?: string;
  since?: string;
}

async function filterFromArgs(args: FilterArgs): Promise<RunFilter> {
  const { parseSince } = await import('../analysis/filter.js');
  return { runId: args.run, batchId: args.batch, sinceMs: args.since === undefined ? undefined : parseSince(args.since) };
}

interface QueryArgs extends StoreArgs, OutputArgs, FilterArgs {
  name?: string;
  list: boolean;
  'all-runs'?: boolean;
  explain?: boolean;
}

/** The query-specific options given, refused for a query that does not take them. */
function queryOptions(query: Query, args: QueryArgs): QueryOptions {
  const given: QueryOptions = { allRuns: args['all-runs'], explain: args.explain };
  for (const [key, flag] of [['allRuns', '--all-runs'], ['explain', '--explain']] as const) {
    if (given[key] !== undefined && !query.options?.includes(key)) throw new ConfigError(`${flag} is an option of ${QUERY_OPTION_OWNERS} only, not of ${query.name}`);
  }
  return given;
}

const QUERY_OPTION_OWNERS = 'query characterize';

function listQueries(QUERIES: Query[], json: boolean): string {
  if (json) return `${JSON.stringify(QUERIES.map(({ name, question, columns }) => ({ name, question, columns })), null, 2)}\n`;
  const width = Math.max(...QUERIES.map((q) => q.name.length));
  return QUERIES.map((q) => `${q.name.padEnd(width)}  ${q.question}\n`).join('');
}

export const queryCommand: CommandModule<object, QueryArgs> = {
  command: 'query [name]',
  describe: 'Answer a built-in question about runs, tool calls, resources and tokens (see --list)',
  builder: (y) =>
    withOutputOptions(withStoreOptions(y))
      .positional('name', { type: 'string', describe: 'query name (agentpod query --list)' })
      .option('list', { type: 'boolean', default: false, describe: 'list the queries and the question each answers' })
      .option('run', { type: 'string', describe: 'only this run' })
      .option('batch', { type: 'string', describe: 'only the runs of this batch' })
      .option('since', { type: 'string', describe: 'only runs (sessions) started since DATE or a time ago (2026-05-01, 24h, 7d)' })
      .option('all-runs', { type: 'boolean', describe: 'characterize: count every run of a task, not only its last' })
      .option('explain', { type: 'boolean', describe: 'characterize: say how each measure is computed' })
      .example('$0 query --list', 'the queries')
      .example('$0 query tool-resources --run 20260501-abc --json', 'memory and CPU of each tool call of a run')
      .example('$0 query profiles --batch b1 --csv', 'profiles compared over a batch, as CSV')
      .example('$0 query characterize --batch all_images_haiku --explain', 'the AgentCgroup study\'s measures, each with its definition'),
  handler: async (args) => {
    const { findQuery, QUERIES } = await import('../analysis/index.js');
    const { assertFilterMatches } = await import('../analysis/filter.js');
    if (args.list) {
      process.stdout.write(listQueries(QUERIES, args.json ?? false));
      return;
    }
    if (args.name === undefined) throw new ConfigError(`name a query: ${QUERIES.map((q) => q.name).join(', ')} (agentpod query --list)`);
    const query = findQuery(args.name);
    const options = queryOptions(query, args);
    const filter = await filterFromArgs(args);
    const db = await openExistingStore(args);
    try {
      assertFilterMatches(db, filter);
      if (query.document && args.json) process.stdout.write(`${JSON.stringify(query.document(db, filter, options), null, 2)}\n`);
      else printRows(query.run(db, filter, options), query.columnsFor?.(options) ?? query.columns, outputFormat(args));
    } finally {
      db.close();
    }
  },
};
