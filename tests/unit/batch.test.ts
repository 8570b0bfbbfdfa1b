import { describe, expect, it } from 'vitest';
import { batchIdentity, buildMatrix, parallelMemoryWarning, planBatch, trialLabel, type ExistingTrial } from '../../src/batch/matrix.js';
import { etaMs, progressBlock, summaryLine, type ProgressState } from '../../src/batch/progress.js';
import type { Profile } from '../../src/profiles.js';

const GiB = 1024 ** 3;
const profile = (name: string, memoryBytes: number | null): Profile => ({
  name,
  description: '',
  memoryBytes,
  memorySwapBytes: memoryBytes,
  cpus: 1,
  pidsLimit: 4096,
  timeoutMs: 1_800_000,
  model: null,
  source: `profiles/${name}.yaml`,
});
const small = profile('small', 2 * GiB);
const big = profile('default', 4 * GiB);

describe('batch matrix and resume plan', () => {
  it('crosses instances × profiles × repeats, instance by instance', () => {
    const m = buildMatrix(['a', 'b'], ['small', 'default'], 2);
    expect(m).toHaveLength(8);
    expect(m.slice(0, 4).map(trialLabel)).toEqual(['a × small #0', 'a × small #1', 'a × default #0', 'a × default #1']);
  });

  it('skips trials with a finished row and runs interrupted, orphaned and missing ones again', () => {
    const m = buildMatrix(['a', 'b'], ['small'], 2);
    const rows: ExistingTrial[] = [
      { instanceId: 'a', profile: 'small', trialIndex: 0, status: 'ok' },
      { instanceId: 'a', profile: 'small', trialIndex: 1, status: 'interrupted' },
      { instanceId: 'b', profile: 'small', trialIndex: 0, status: 'running' },
      { instanceId: 'b', profile: 'small', trialIndex: 0, status: 'timeout' },
      { instanceId: 'gone', profile: 'small', trialIndex: 0, status: 'ok' },
    ];
    const plan = planBatch(m, rows);
    expect(plan.finished.map(trialLabel)).toEqual(['a × small #0', 'b × small #0']);
    expect(plan.toRun.map(trialLabel)).toEqual(['a × small #1', 'b × small #1']);
    expect(plan.retried).toBe(1);
    for (const status of ['failed', 'oom']) expect(planBatch(m.slice(0, 1), [{ ...rows[0], status }]).toRun).toEqual([]);
  });

  it('identifies a batch by its tasks, profiles (with limits) and repeat, or by --name', () => {
    const base = { tasksSha256: 'abc', profiles: [small, big], repeat: 2 };
    const id = batchIdentity(base);
    expect(id).toMatch(/^b[0-9a-f]{12}$/);
    expect(batchIdentity({ ...base })).toBe(id);
    expect(batchIdentity({ ...base, repeat: 3 })).not.toBe(id);
    expect(batchIdentity({ ...base, tasksSha256: 'abd' })).not.toBe(id);
    expect(batchIdentity({ ...base, profiles: [small] })).not.toBe(id);
    expect(batchIdentity({ ...base, profiles: [small, { ...big, timeoutMs: 60_000 }] })).not.toBe(id);
    expect(batchIdentity({ ...base, model: 'claude-x' })).not.toBe(id);
    expect(batchIdentity({ ...base, name: 'my-batch.1' })).toBe('my-batch.1');
    expect(() => batchIdentity({ ...base, name: 'a b' })).toThrow(/--name "a b"/);
  });

  it('warns when parallel trials of the largest profile need more memory than the host has', () => {
    expect(parallelMemoryWarning([small, big], 4, 8 * GiB)).toBe(
      '--parallel 4 × 4.0 GiB (profile default) = 16.0 GiB, more than this host\'s 8.0 GiB of memory: trials may be OOM-killed or slowed down by swapping',
    );
    expect(parallelMemoryWarning([small, big], 2, 8 * GiB)).toBeNull();
    expect(parallelMemoryWarning([profile('unlimited', null)], 8, 8 * GiB)).toBeNull();
    expect(parallelMemoryWarning([big], 1, 1 * GiB)).toBeNull();
  });
});

describe('batch progress', () => {
  const state = (over: Partial<ProgressState> = {}): ProgressState => ({
    batchId: 'b1',
    total: 10,
    skipped: 2,
    parallel: 2,
    counts: { ok: 2, failed: 1, oom: 0, timeout: 1, interrupted: 0, error: 0 },
    running: new Map([['a × small #0', 31_000]]),
    startedAt: 0,
    durationsMs: [10_000, 20_000],
    verdicts: {},
    ...over,
  });

  it('estimates the time left from the mean trial time over the parallel slots', () => {
    // 10 - 2 earlier - 4 ended = 4 left, 15 s each, 2 at a time.
    expect(etaMs(state())).toBe(30_000);
    expect(etaMs(state({ durationsMs: [] }))).toBeNull();
    expect(etaMs(state({ total: 7 }))).toBe(15_000);
  });

  it('shows counts, running trials, elapsed and ETA in one block', () => {
    expect(progressBlock(state(), 61_000)).toEqual([
      'batch b1: 6/10 done (ok 2, failed 1, oom 0, timeout 1, error 0; 2 from earlier passes)',
      '  1 running · elapsed 1m1s · ETA 30.0s',
      '  running a × small #0  30.0s',
    ]);
    expect(summaryLine(state({ running: new Map(), counts: { ok: 2, failed: 1, oom: 0, timeout: 1, interrupted: 3, error: 0 } }), 1000)).toBe(
      'batch b1: 6/10 done (ok 2, failed 1, oom 0, timeout 1, interrupted 3, error 0; 2 from earlier passes) · 0 running · elapsed 1.0s',
    );
  });
});
