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
    // The machine's speed changes while the suite runs (other work starts or ends), and a kill that came after
    // the end would test nothing: then the case runs again on a new database, at the same share of the ingest
    // that just ran.
    let db = '';
    let killAtMs = Math.round((percent / 100) * cleanMs);
    let signal: string | undefined;
    for (let attempt = 1; attempt <= 3 && signal !== 'SIGKILL'; attempt++) {
      db = join(dir, `killed-${i}-${attempt}.db`);
      const started = Date.now();
      const child = ingestCli(db, [corpus]);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAtMs);
      ({ signal } = await child);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        cleanMs = Math.min(cleanMs, Date.now() - started);
        killAtMs = Math.round((percent / 100) * (Date.now() - started));
      }
    }
    expect(signal, `ingest finished before the kill at ${killAtMs} ms, three times`).toBe('SIGKILL');
    const rerun = await ingestCli(db, [corpus]);
    expect(rerun.exitCode, String(rerun.stderr)).toBe(0);
    const got = ingestCounts(db);
    const check = compareCounts(clean, got);
    ctx.task.meta.rowCheck = check;
    expect(got).toEqual(clean);
    expect(check).toEqual({ lost: 0, duplicated: 0 });
  });
});
