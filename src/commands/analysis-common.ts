// What the analysis commands (query, sql, report) share: output options and opening an existing database.
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { formatRows, type Column, type OutputFormat, type Row } from '../analysis/output.js';
import type { Db } from '../db/open.js';
import { UserError } from '../errors.js';
import { resolveStore, type StoreArgs } from './common.js';

export interface OutputArgs {
  json?: boolean;
  csv?: boolean;
}

export function withOutputOptions<T>(y: Argv<T>) {
  return y
    // No defaults: yargs counts a defaulted option as given, and would then call any use of the other a conflict.
    .option('json', { type: 'boolean', describe: 'print a JSON array of objects with raw values' })
    .option('csv', { type: 'boolean', describe: 'print CSV (RFC 4180) with raw values' })
    .conflicts('json', 'csv');
}

export function outputFormat(args: OutputArgs): OutputFormat {
  return args.json ? 'json' : args.csv ? 'csv' : 'table';
}

/** Rows on stdout; a table is fitted to the terminal's width, and left whole when stdout is not a terminal. */
export function printRows(rows: Row[], columns: Column[], format: OutputFormat): void {
  process.stdout.write(formatRows(rows, columns, format, process.stdout.isTTY ? process.stdout.columns : Infinity));
}

/** The database, which must already exist (reading commands never create an empty one). */
export async function openExistingStore(args: StoreArgs, options: { readonly?: boolean } = {}): Promise<Db> {
  const { dbPath } = resolveStore(args);
  const { openDb } = await import('../db/open.js');
  if (!existsSync(dbPath)) throw new UserError(`no database at ${dbPath} (agentpod run or agentpod ingest create it; or pass --db FILE)`);
  return openDb(dbPath, options);
}
