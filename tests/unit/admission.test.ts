// batch --parallel auto: the admission policy (pure), the loop that follows it, predictions from the
// database, and the pass's peak of the summed memory.
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admit, defaultBudget, maxConcurrent, peakOfSum, predictPeak } from '../../src/batch/admission.js';
import type { TrialKey } from '../../src/batch/matrix.js';
import { historyPredictor, recordPassMemory, runWithinBudget } from '../../src/batch/memory-parallel.js';
import type { Db } from '../../src/db/open.js';
import { parseProfile } from '../../src/profiles.js';
import { analysisDb, insertBatch, insertRun, insertSamples } from '../helpers/analysis-db.js';

const GiB = 1024 ** 3;

describe('admission policy', () => {
  it('predicts from earlier trials (+10%), else the profile limit, else the whole budget', () => {
    expect(predictPeak([1 * GiB, 2 * GiB], 8 * GiB, 20 * GiB)).toEqual({ bytes: Math.round(2.2 * GiB), from: 'history', trials: 2 });
    expect(predictPeak([], 8 * GiB, 20 * GiB)).toEqual({ bytes: 8 * GiB, from: 'limit', trials: 0 });
    expect(predictPeak([], null, 20 * GiB)).toEqual({ bytes: 20 * GiB, from: 'budget', trials: 0 });
  });

  it('admits while the predictions fit, says why a trial waits, and lets one run alone even over the budget', () => {
    const p = predictPeak([], 4 * GiB, 10 * GiB);
    expect(admit('a × small #0', p, [4 * GiB], 10 * GiB)).toEqual({ admit: true, note: null });
    expect(admit('a × small #0', p, [4 * GiB, 4 * GiB], 10 * GiB)).toEqual({
      admit: false,
      reason: "a × small #0 waits: predicted 4.0 GiB (its profile's memory limit), 2.0 GiB of the 10.0 GiB budget free (2 running)",
    });
    const huge = predictPeak([], 16 * GiB, 10 * GiB);
    expect(admit('b × large #0', huge, [], 10 * GiB)).toMatchObject({ admit: true, note: expect.stringMatching(/over the 10\.0 GiB budget: it runs alone/) });
  });

  it('the default budget leaves 10% of the host, at least 2 GiB', () => {
    expect(defaultBudget(64 * GiB)).toBe(64 * GiB - Math.round(6.4 * GiB));
    expect(defaultBudget(8 * GiB)).toBe(6 * GiB);
  });

  it('the peak of the sum holds each trial at its last sample until its next, and 0 after its end', () => {
    const points = [
      { runId: 'a', tMs: 0, bytes: 100 },
      { runId: 'b', tMs: 5, bytes: 50 },
      { runId: 'a', tMs: 10, bytes: 300 }, // a 300 + b 50
      { runId: 'b', tMs: 15, bytes: null }, // unknown: stays 50
      { runId: 'b', tMs: 20, bytes: 0 }, // b ended
      { runId: 'a', tMs: 30, bytes: 320 },
    ];
    expect(peakOfSum(points)).toEqual({ peakBytes: 350, atMs: 10 });
    expect(maxConcurrent([{ startMs: 0, endMs: 10 }, { startMs: 10, endMs: 20 }, { startMs: 5, endMs: null }])).toBe(2);
  });
});

describe('the budgeted loop', () => {
  const key = (instanceId: string): TrialKey => ({ instanceId, profile: 'p', trialIndex: 0 });

  it('never has more predicted memory running than the budget, and runs the queue in order', async () => {
    const predicted: Record<string, number> = { a: 6, b: 3, c: 5, d: 2, e: 9 };
    let inUse = 0;
    let most = 0;
    const started: string[] = [];
    const waits: (string | null)[] = [];
    await runWithinBudget(
      ['a', 'b', 'c', 'd', 'e'].map(key),
      async (k) => {
        started.push(k.instanceId);
        inUse += predicted[k.instanceId];
        most = Math.max(most, inUse);
        await new Promise((r) => setTimeout(r, 10 * predicted[k.instanceId]));
        inUse -= predicted[k.instanceId];
      },
      { budgetBytes: 10, predict: (k) => ({ bytes: predicted[k.instanceId], from: 'history', trials: 1 }), onWait: (r) => waits.push(r), onNote: () => {}, signal: new AbortController().signal },
    );
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(most).toBeLessThanOrEqual(10);
    expect(waits.some((w) => w?.startsWith('c × p #0 waits: predicted 5 B'))).toBe(true);
  });

  it('stops starting trials once aborted', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    await runWithinBudget(
      ['a', 'b', 'c'].map(key),
      async (k) => {
        started.push(k.instanceId);
        controller.abort();
      },
      { budgetBytes: 1, predict: () => ({ bytes: 1, from: 'limit', trials: 0 }), onWait: () => {}, onNote: () => {}, signal: controller.signal },
    );
    expect(started).toEqual(['a']);
  });
});

describe('from the database', () => {
  let db: Db;
  let dir: string;
  beforeEach(() => {
    ({ db, dir } = analysisDb());
    insertBatch(db, 'b1');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('predicts from the finished trials of the same instance and profile', () => {
    insertRun(db, { id: 'r1', instance_id: 'x', profile: 'small', status: 'ok', peak_memory_bytes: 1000 });
    insertRun(db, { id: 'r2', instance_id: 'x', profile: 'small', status: 'oom', peak_memory_bytes: 3000 });
    insertRun(db, { id: 'r3', instance_id: 'x', profile: 'small', status: 'interrupted', peak_memory_bytes: 9000 });
    insertRun(db, { id: 'r4', instance_id: 'x', profile: 'large', status: 'ok', peak_memory_bytes: 5000 });
    const predict = historyPredictor(db, [parseProfile({ memory: '2g' }, 'small.yaml'), parseProfile({}, 'other.yaml')], 10 * GiB);
    expect(predict({ instanceId: 'x', profile: 'small', trialIndex: 0 })).toEqual({ bytes: 3300, from: 'history', trials: 2 });
    expect(predict({ instanceId: 'y', profile: 'small', trialIndex: 0 })).toEqual({ bytes: 2 * GiB, from: 'limit', trials: 0 });
    expect(predict({ instanceId: 'y', profile: 'other', trialIndex: 0 })).toMatchObject({ from: 'budget' });
  });

  it("records the pass's peak of the summed memory and how many ran at once", () => {
    insertRun(db, { id: 'old', batch_id: 'b1', started_at: 0, finished_at: 50 });
    insertRun(db, { id: 'r1', batch_id: 'b1', started_at: 100, finished_at: 400 });
    insertRun(db, { id: 'r2', batch_id: 'b1', started_at: 150, finished_at: 300 });
    insertSamples(db, 'old', [{ t_ms: 10, memory_current_bytes: 99999 }]);
    insertSamples(db, 'r1', [{ t_ms: 110, memory_current_bytes: 100 }, { t_ms: 200, memory_current_bytes: 400 }, { t_ms: 350, memory_current_bytes: 500 }]);
    insertSamples(db, 'r2', [{ t_ms: 160, memory_current_bytes: 300 }, { t_ms: 290, memory_current_bytes: 200 }]);
    expect(recordPassMemory(db, 'b1', 100, 1000)).toEqual({ budgetBytes: 1000, peakSumBytes: 700, peakAtMs: 200, maxRunning: 2 });
    expect(db.prepare('SELECT * FROM batch_memory').get()).toEqual({ batch_id: 'b1', pass_started_at: 100, budget_bytes: 1000, peak_sum_bytes: 700, peak_at_ms: 200, max_running: 2 });
  });
});
