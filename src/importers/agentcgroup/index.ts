// `agentpod import agentcgroup DIR…`: the AgentCgroup study's published runs into the database, one batch per
// data set folder, one run per attempt_N (docs/characterization.md, "Importing"). Loaders read the files, the
// pure mapper makes the rows, the writer stores them; traces go through the ordinary ingest.
import { existsSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Db } from '../../db/open.js';
import { ConfigError, UserError } from '../../errors.js';
import { ingestFiles } from '../../ingest/index.js';
import { TraceStore } from '../../ingest/store.js';
import { findAttempts, loadResources, loadResults, loadToolCalls, type AttemptDir, type Loaded } from './load.js';
import { attemptUtcOffset, importedRunId, mapAttempt, type AttemptInput } from './map.js';
import { compareSummary, rebuildSummary } from './self-check.js';
import { ensureBatch, importedRunOf, importedSetOffset, recordSelfCheck, traceFacts, writeAttempt } from './write.js';

export interface ImportProgress {
  dataSet: string;
  attemptsDone: number;
  attemptsTotal: number;
  /** The attempt being imported, relative to the data set folder. */
  current: string;
}

export interface ImportOptions {
  /** Batch id for the one data set given (default: the folder's name). */
  batch?: string;
  onProgress?: (p: ImportProgress) => void;
  onDataSet?: (d: DataSetSummary) => void;
  now?: () => number;
}

export interface DataSetSummary {
  dir: string;
  batchId: string;
  attempts: number;
  imported: number;
  alreadyImported: number;
}

export interface ImportSummary {
  dataSets: DataSetSummary[];
  attempts: number;
  imported: number;
  alreadyImported: number;
  /** Of the imported: attempts whose container never started (results.json `error`), imported as failed runs. */
  failedStarts: number;
  samples: number;
  tracesIngested: number;
  /** Runs whose tool windows come from tool_calls.json (no trace). */
  windowsFromToolCalls: number;
  /** Files that should be there and are not, and files that could not be (wholly) used: "<set>/<task>/attempt_N/<file>: why". */
  missing: string[];
  malformed: string[];
  /** Attempts that could not be imported at all, and why. */
  skipped: string[];
  /** Other things worth a word (a trace session that already belongs to another run). */
  notes: string[];
  selfCheck: { checked: number; mismatches: string[] };
  durationMs: number;
}

function emptySummary(): ImportSummary {
  return {
    dataSets: [], attempts: 0, imported: 0, alreadyImported: 0, failedStarts: 0, samples: 0, tracesIngested: 0, windowsFromToolCalls: 0,
    missing: [], malformed: [], skipped: [], notes: [], selfCheck: { checked: 0, mismatches: [] }, durationMs: 0,
  };
}

interface LoadedAttempt extends AttemptDir {
  results: ReturnType<typeof loadResults>;
  resources: ReturnType<typeof loadResources>;
  toolCalls: ReturnType<typeof loadToolCalls>;
}

/** The offset most attempts of the set show (one host, one clock); null when no attempt has samples. */
function setUtcOffset(attempts: LoadedAttempt[]): number | null {
  const counts = new Map<number, number>();
  for (const a of attempts) {
    const offset = a.resources.status === 'ok' ? attemptUtcOffset(a.resources.value.samples, null) : null;
    if (offset !== null) counts.set(offset, (counts.get(offset) ?? 0) + 1);
  }
  return [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]?.[0] ?? null;
}

function assertDataSetDir(dir: string): void {
  const s = statSync(dir, { throwIfNoEntry: false });
  if (!s) throw new UserError(`cannot read ${dir}: no such folder`, 2);
  if (!s.isDirectory()) throw new UserError(`${dir} is not a folder (give a data set folder holding <task>/attempt_N/)`, 2);
}

/** Files an attempt should have and does not, and files it has that are malformed. */
function fileProblems(a: LoadedAttempt, label: string, hasTrace: boolean, summary: ImportSummary): void {
  const started = a.results.status === 'ok' && a.results.value.error === null;
  const files: [string, Loaded<unknown>, boolean][] = [
    ['results.json', a.results, true],
    ['resources.json', a.resources, started],
    // Not written when there were no tool calls; only missed when there is no trace to take the windows from.
    ['tool_calls.json', a.toolCalls, started && !hasTrace],
  ];
  for (const [name, loaded, expected] of files) {
    if (loaded.status === 'missing' && expected) summary.missing.push(`${label}/${name}`);
    if (loaded.status === 'malformed') summary.malformed.push(`${label}/${name}: ${loaded.reason}`);
  }
  if (started && !hasTrace) summary.missing.push(`${label}/trace.jsonl`);
}

async function importAttempt(db: Db, store: TraceStore, a: LoadedAttempt, ctx: { dataSet: string; batchId: string; label: string; setOffset: number | null; now: number }, summary: ImportSummary): Promise<boolean> {
  const tracePath = join(a.path, 'trace.jsonl');
  const hasTrace = existsSync(tracePath);
  fileProblems(a, ctx.label, hasTrace, summary);
  let trace = null;
  if (hasTrace) {
    const ingest = await ingestFiles(store, [tracePath]);
    if (ingest.filesParsed) summary.tracesIngested++;
    if (ingest.errors) summary.malformed.push(`${ctx.label}/trace.jsonl: ${ingest.errors} malformed line(s), kept in ingest_errors`);
    trace = traceFacts(db, tracePath);
    if (!trace) summary.malformed.push(`${ctx.label}/trace.jsonl: no line names a session`);
  }
  const input: AttemptInput = {
    dataSet: ctx.dataSet, batchId: ctx.batchId, taskDir: a.taskDir, attempt: a.attempt, attemptDir: a.path,
    results: a.results, resources: a.resources, toolCalls: a.toolCalls, trace, setUtcOffsetMin: ctx.setOffset, importedAt: ctx.now,
  };
  const mapped = mapAttempt(input);
  if ('skipped' in mapped) {
    summary.skipped.push(`${ctx.label}: ${mapped.skipped}`);
    return false;
  }
  for (const p of mapped.problems) (p.startsWith('resources.json') ? summary.malformed : summary.notes).push(`${ctx.label}/${p}`);
  const written = writeAttempt(db, mapped);
  summary.notes.push(...written.problems.map((p) => `${ctx.label}: ${p}`));
  summary.samples += written.samples;
  if (written.toolWindows) summary.windowsFromToolCalls++;
  if (mapped.run.error !== null) summary.failedStarts++;
  if (a.resources.status === 'ok') {
    const mismatches = compareSummary(a.resources.value.summary, rebuildSummary(db, mapped.runId));
    recordSelfCheck(db, mapped.runId, mismatches.length ? mismatches.join('; ') : 'ok');
    summary.selfCheck.checked++;
    if (mismatches.length) summary.selfCheck.mismatches.push(`${ctx.label}: ${mismatches.join('; ')}`);
  }
  return true;
}

/** Imports each data set folder; attempts already imported are left as they are. */
export async function importAgentcgroup(db: Db, dirs: string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  if (options.batch !== undefined && dirs.length !== 1) throw new ConfigError('--batch names the batch of one data set folder; give one DIR with it');
  const summary = emptySummary();
  const store = new TraceStore(db);
  for (const given of dirs) {
    const dir = resolve(given);
    assertDataSetDir(dir);
    let listing;
    try {
      listing = findAttempts(dir);
    } catch (e) {
      throw new UserError((e as Error).message, 2);
    }
    const found = listing.attempts;
    const dataSet = basename(dir);
    summary.skipped.push(...listing.unreadable.map((t) => `${dataSet}/${t}`));
    if (found.length === 0) throw new ConfigError(`no <task>/attempt_N folders under ${dir} (give a data set folder such as .../experiments/all_images_haiku)`);
    const batchId = options.batch ?? dataSet;
    ensureBatch(db, batchId, dir, now());
    const set: DataSetSummary = { dir, batchId, attempts: found.length, imported: 0, alreadyImported: 0 };
    // Attempts already imported are not read again: a second import costs a lookup per attempt.
    const fresh = found.filter((a) => !importedRunOf(db, importedRunId(batchId, a.taskDir, a.attempt), a.path));
    set.alreadyImported = found.length - fresh.length;
    const attempts: LoadedAttempt[] = fresh.map((a) => ({
      ...a,
      results: loadResults(join(a.path, 'results.json')),
      resources: loadResources(join(a.path, 'resources.json')),
      toolCalls: loadToolCalls(join(a.path, 'tool_calls.json')),
    }));
    const setOffset = setUtcOffset(attempts) ?? importedSetOffset(db, dataSet);
    for (const [i, a] of attempts.entries()) {
      const label = `${dataSet}/${relative(dir, a.path)}`;
      options.onProgress?.({ dataSet, attemptsDone: set.alreadyImported + i, attemptsTotal: found.length, current: relative(dir, a.path) });
      try {
        if (await importAttempt(db, store, a, { dataSet, batchId, label, setOffset, now: now() }, summary)) set.imported++;
      } catch (e) {
        summary.skipped.push(`${label}: ${(e as Error).message}`);
      }
    }
    options.onProgress?.({ dataSet, attemptsDone: found.length, attemptsTotal: found.length, current: '' });
    summary.dataSets.push(set);
    summary.attempts += set.attempts;
    summary.imported += set.imported;
    summary.alreadyImported += set.alreadyImported;
    options.onDataSet?.(set);
  }
  summary.durationMs = performance.now() - started;
  return summary;
}

/** Something went wrong that a script should notice: a file was malformed, an attempt not imported, a summary not reproduced. */
export const importHadErrors = (s: ImportSummary) => s.malformed.length > 0 || s.skipped.length > 0 || s.selfCheck.mismatches.length > 0;
