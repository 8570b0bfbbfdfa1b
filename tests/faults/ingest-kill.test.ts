// kill -9 of `agentpod ingest` at random points over a large corpus, then a rerun: every time, the rows
// equal those of one clean ingest (nothing lost, nothing counted twice).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/ingest/synthetic.js';
import { compareCounts, corpusWithCleanCounts, ingestCli, ingestCounts, type RowCounts } from './helpers.js';

const KILLS = 20;
const SEED = 20261122;

let corpus: string;
let dir: string;
let clean: RowCounts;
let cleanMs: number;

beforeAll(async () => {
  ({ dir, clean } = await corpusWithCleanCounts(500, SEED));
  corpus = join(dir, 'projects');
  // How long one whole ingest takes, process start included (the faster of two, so that a kill point is
  // not past the end when the machine is less busy later): kill points are spread over it.
  const timings: number[] = [];
  for (const name of ['timing-1.db', 'timing-2.db']) {
    const started = Date.now();
    const r = await ingestCli(join(dir, name), [corpus]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    timings.push(Date.now() - started);
  }
  cleanMs = Math.min(...timings);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const random = seededRandom(SEED);
const killPoints = Array.from({ length: KILLS }, (_, i) => ({ i: i + 1, percent: Math.round(5 + random() * 70) }));

describe(`kill -9 of agentpod ingest at ${KILLS} random points (seed ${SEED}), then a rerun`, () => {
  it.for(killPoints)('kill #$i at $percent% of a clean ingest', async ({ i, percent }, ctx) => {
    const db = join(dir, `killed-${i}.db`);
    const child = ingestCli(db, [corpus]);
    const killAtMs = Math.round((percent / 100) * cleanMs);
    await new Promise((r) => setTimeout(r, killAtMs));
    child.kill('SIGKILL');
    const killed = await child;
    // A kill that came after the end would test nothing.
    expect(killed.signal, `ingest finished before the kill at ${killAtMs} ms`).toBe('SIGKILL');
    const rerun = await ingestCli(db, [corpus]);
    expect(rerun.exitCode, String(rerun.stderr)).toBe(0);
    const got = ingestCounts(db);
    const check = compareCounts(clean, got);
    ctx.task.meta.rowCheck = check;
    expect(got).toEqual(clean);
    expect(check).toEqual({ lost: 0, duplicated: 0 });
  });
});
