// Shared by the fault cases and the summary reporter: row counts of the trace tables, the row check a case
// records for the summary, leaked containers, polling.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa, type Options, type ResultPromise } from 'execa';
import { logNormalSizes, writeSyntheticCorpus, type CorpusExpectation } from '../../src/ingest/synthetic.js';
import { isAgentpodAlive } from '../../src/run/sweep.js';
import { LABEL_OWNER_PID } from '../../src/launch-spec.js';
import { cliPath, podmanAsTestUser } from '../helpers/user.js';

/** Rows lost or duplicated compared with a clean ingest; the reporter sums them over all cases. */
export interface RowCheck {
  lost: number;
  duplicated: number;
}

declare module 'vitest' {
  interface TaskMeta {
    rowCheck?: RowCheck;
  }
}

/** Every table ingest writes, plus the canonical flags (a duplicate there would double a tool call). */
const COUNT_QUERIES: Record<string, string> = {
  ingest_files: 'SELECT count(*) FROM ingest_files',
  messages: 'SELECT count(*) FROM messages',
  response_lines: 'SELECT count(*) FROM response_lines',
  responses: 'SELECT count(*) FROM responses',
  tool_uses: 'SELECT count(*) FROM tool_uses',
  tool_results: 'SELECT count(*) FROM tool_results',
  tool_calls: 'SELECT count(*) FROM tool_calls',
  session_facts: 'SELECT count(*) FROM session_facts',
  ingest_errors: 'SELECT count(*) FROM ingest_errors',
};

export type RowCounts = Record<string, number>;

export function ingestCounts(dbPath: string): RowCounts {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.fromEntries(Object.entries(COUNT_QUERIES).map(([name, sql]) => [name, db.prepare(sql).pluck().get() as number]));
  } finally {
    db.close();
  }
}

export function compareCounts(expected: RowCounts, got: RowCounts): RowCheck {
  let lost = 0;
  let duplicated = 0;
  for (const [table, want] of Object.entries(expected)) {
    const have = got[table] ?? 0;
    if (have < want) lost += want - have;
    else duplicated += have - want;
  }
  return { lost, duplicated };
}

/**
 * Containers carrying agentpod's owner label whose agentpod is gone: leaked by somebody. Containers of live
 * agentpod processes (other test runs on this machine) are still in use, not leaked.
 */
export async function leakedContainers(): Promise<string[]> {
  const ps = await podmanAsTestUser(['ps', '-a', '--filter', `label=${LABEL_OWNER_PID}`, '--format', 'json']);
  if (ps.exitCode !== 0) throw new Error(`podman ps failed: ${String(ps.stderr)}`);
  const entries = JSON.parse(String(ps.stdout) || '[]') as { Names: string[]; Labels: Record<string, string> | null }[];
  return entries.filter((e) => !isAgentpodAlive(Number(e.Labels?.[LABEL_OWNER_PID]))).map((e) => e.Names[0]);
}

/** Names of the containers of one run, whether or not their owner lives. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Complete lines of a JSONL file (a last line without its newline is not complete yet). */
export function completeLines(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path);
  let n = 0;
  for (const byte of text) if (byte === 0x0a) n++;
  return n;
}

/** `agentpod ingest` as the current user (ingest needs no podman), JSON summary on stdout. */
export function ingestCli(db: string, paths: string[], options: Options = {}): ResultPromise {
  return execa(process.execPath, [cliPath, 'ingest', '--db', db, '--json', ...paths], { reject: false, stdin: 'ignore', ...options });
}

/** A synthetic corpus shaped like real use (log-normal file sizes), and the row counts of one clean ingest. */
export async function corpusWithCleanCounts(files: number, seed: number): Promise<{ dir: string; expectation: CorpusExpectation; clean: RowCounts }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-faults-corpus-'));
  const expectation = await writeSyntheticCorpus(join(dir, 'projects'), logNormalSizes(files, 40_000, 8_000_000, seed), seed);
  const db = join(dir, 'clean.db');
  const r = await ingestCli(db, [join(dir, 'projects')]);
  if (r.exitCode !== 0) throw new Error(`clean ingest failed: ${String(r.stderr)}`);
  const clean = ingestCounts(db);
  // The clean ingest itself is checked against what the generator wrote.
  if (clean.messages !== expectation.lines || clean.responses !== expectation.responses || clean.tool_calls !== expectation.toolCalls) {
    throw new Error(`clean ingest does not match the corpus: ${JSON.stringify({ clean, expectation })}`);
  }
  return { dir, expectation, clean };
}
