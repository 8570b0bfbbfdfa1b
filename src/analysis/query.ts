// A built-in query: a name, the question it answers, its columns, and a calculator over the database.
import type { Db } from '../db/open.js';
import type { RunFilter } from './filter.js';
import type { Column, Row } from './output.js';

export interface Query {
  name: string;
  question: string;
  columns: Column[];
  run(db: Db, filter: RunFilter): Row[];
}
