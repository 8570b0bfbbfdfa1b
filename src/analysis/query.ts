// A built-in query: a name, the question it answers, its columns, and a calculator over the database.
import type { Db } from '../db/open.js';
import type { RunFilter } from './filter.js';
import type { Column, Row } from './output.js';

/** Options only some queries take (the command refuses them for the others). */
export interface QueryOptions {
  /** Count every run of a task, not only its last (characterize). */
  allRuns?: boolean;
  /** Say how each value is computed (characterize). */
  explain?: boolean;
}

export interface Query {
  name: string;
  question: string;
  columns: Column[];
  /** The columns shown with these options, when they change with them. */
  columnsFor?(options: QueryOptions): Column[];
  run(db: Db, filter: RunFilter, options?: QueryOptions): Row[];
  /** The options of QueryOptions this query takes. */
  options?: (keyof QueryOptions)[];
  /** A query whose answer is one object: what --json prints instead of the rows. */
  document?(db: Db, filter: RunFilter, options?: QueryOptions): unknown;
}
