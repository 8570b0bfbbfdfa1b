// Trace ingestion: Claude Code's JSONL session traces → SQLite (docs/schema-traces.md).
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Db } from '../db/open.js';
import { UserError } from '../errors.js';
import { ingestFile, type FileStatus } from './file.js';
import { TraceStore } from './store.js';

export { startTraceWatch, type TraceWatch } from './watch.js';

export interface IngestSummary {
  /** Trace files found under the paths. */
  filesSeen: number;
  /** Files that had new complete lines (or were re-read) and were parsed. */
  filesParsed: number;
  /** Files skipped because their stat had not changed since the last ingest: no parsing. */
  filesSkipped: number;
  /** Files re-read from the start (replaced, truncated, rewritten, or a new parser version). */
  filesReread: number;
  /** Files gone before they could be read, or left to another ingest process working on them. */
  filesMissing: number;
  filesBusy: number;
  lines: number;
  bytes: number;
  /** Malformed lines recorded in ingest_errors. */
  errors: number;
  durationMs: number;
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  lines: number;
  bytes: number;
  elapsedMs: number;
  path: string;
}

export interface IngestOptions {
  onProgress?: (p: IngestProgress) => void;
}

export const defaultTraceRoot = (home = homedir()) => join(home, '.claude', 'projects');

export function emptySummary(): IngestSummary {
  return { filesSeen: 0, filesParsed: 0, filesSkipped: 0, filesReread: 0, filesMissing: 0, filesBusy: 0, lines: 0, bytes: 0, errors: 0, durationMs: 0 };
}

/** A run's trace and its subagents' folder (Claude Code 2.1 writes `<session>/subagents/agent-*.jsonl`). */
export function sessionTracePaths(tracePath: string): string[] {
  return [tracePath, join(dirname(tracePath), basename(tracePath, '.jsonl'), 'subagents')];
}

function collect(dir: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path, out);
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) out.push(path);
  }
}

/** The trace files under `paths` (files are taken as given, folders searched for *.jsonl), sorted. */
export async function findTraceFiles(paths: string[], options: { missingOk?: boolean } = {}): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    let s;
    try {
      s = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && options.missingOk) continue;
      throw new UserError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
    }
    if (s.isDirectory()) collect(p, files);
    else files.push(p);
  }
  return [...new Set(files)].sort();
}

const SUMMARY_FIELD: Record<FileStatus, keyof IngestSummary | null> = {
  read: null,
  reread: 'filesReread',
  unchanged: 'filesSkipped',
  missing: 'filesMissing',
  busy: 'filesBusy',
};

/** Ingests the given trace files; already ingested bytes are not read again. */
export async function ingestFiles(store: TraceStore, files: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  const started = performance.now();
  const summary = emptySummary();
  summary.filesSeen = files.length;
  let filesDone = 0;
  const report = (path: string) =>
    options.onProgress?.({ filesDone, filesTotal: files.length, lines: summary.lines, bytes: summary.bytes, elapsedMs: performance.now() - started, path });
  for (const path of files) {
    const outcome = await ingestFile(store, path, (lines, bytes) => {
      summary.lines += lines;
      summary.bytes += bytes;
      report(path);
    });
    summary.errors += outcome.errors;
    if (outcome.status === 'read' || outcome.status === 'reread') summary.filesParsed++;
    const field = SUMMARY_FIELD[outcome.status];
    if (field) summary[field]++;
    filesDone++;
    report(path);
  }
  summary.durationMs = performance.now() - started;
  return summary;
}

/** Ingests trace files or folders of them into `db`. */
export async function ingestPaths(db: Db, paths: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  return ingestFiles(new TraceStore(db), await findTraceFiles(paths), options);
}
