// Writers that overlap: two ingesters at once, and an ingest while `agentpod watch` follows the same
// traces. Either way the database ends as one clean ingest leaves it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/user.js';
import { compareCounts, corpusWithCleanCounts, ingestCli, ingestCounts, waitFor, type RowCounts } from './helpers.js';

let corpus: string;
let dir: string;
let clean: RowCounts;

beforeAll(async () => {
  ({ dir, clean } = await corpusWithCleanCounts(300, 77));
  corpus = join(dir, 'projects');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('concurrent writers', () => {
  it('two ingesters started together end with the rows of one clean ingest', async (ctx) => {
    const db = join(dir, 'two.db');
    const [a, b] = await Promise.all([ingestCli(db, [corpus]), ingestCli(db, [corpus])]);
    expect(a.exitCode, String(a.stderr)).toBe(0);
    expect(b.exitCode, String(b.stderr)).toBe(0);
    const got = ingestCounts(db);
    ctx.task.meta.rowCheck = compareCounts(clean, got);
    expect(got).toEqual(clean);
  });

  it('an ingest during watch ends with the rows of one clean ingest', async (ctx) => {
    const db = join(dir, 'watched.db');
    const watch = execa(process.execPath, [cliPath, 'watch', '--db', db, '--json', corpus], { reject: false, stdin: 'ignore', buffer: true });
    let stderr = '';
    watch.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('watch to start', () => stderr.includes('watching'));
    const ingest = await ingestCli(db, [corpus]);
    expect(ingest.exitCode, String(ingest.stderr)).toBe(0);
    watch.kill('SIGINT');
    const w = await watch;
    expect(w.exitCode, stderr).toBe(0);
    const got = ingestCounts(db);
    ctx.task.meta.rowCheck = compareCounts(clean, got);
    expect(got).toEqual(clean);
  });
});
