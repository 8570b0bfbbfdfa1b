import { describe, expect, it } from 'vitest';
import { boxStats, nearestRank, percentile, spread, wilsonInterval } from '../../src/analysis/stats.js';

describe('nearest-rank percentiles', () => {
  it('takes sorted[ceil(p/100 * n) - 1]', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(ten, 50)).toBe(5); // ceil(5) = 5th
    expect(nearestRank(ten, 95)).toBe(10); // ceil(9.5) = 10th
    expect(nearestRank(ten, 90)).toBe(9);
    expect(nearestRank(ten, 91)).toBe(10); // ceil(9.1) = 10th
    expect(nearestRank(ten, 0)).toBe(1);
    expect(nearestRank(ten, 100)).toBe(10);
  });

  it('returns an observed value: the lower middle for an even count, never an interpolation', () => {
    expect(percentile([100, 300], 50)).toBe(100);
    expect(percentile([300, 100, 200], 50)).toBe(200);
    expect(percentile([7], 95)).toBe(7);
  });

  it('leaves NULLs out, and has no value for no values', () => {
    expect(percentile([null, 5, undefined, 1], 50)).toBe(1);
    expect(percentile([null], 50)).toBeNull();
    expect(spread([])).toEqual({ p50: null, p95: null, max: null });
  });

  it('gives p50, p95 and max; box stats with quartiles by the same rule', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 10); // 10..200
    expect(spread(twenty)).toEqual({ p50: 100, p95: 190, max: 200 }); // ranks 10 and 19
    expect(boxStats([4, 1, 3, 2])).toEqual({ n: 4, min: 1, q1: 1, median: 2, q3: 3, max: 4 });
    expect(boxStats([])).toBeNull();
  });
});

describe('wilsonInterval', () => {
  it('gives the 95 % Wilson score interval, inside [0, 1] even at 0 and n successes', () => {
    // Published values: 0/10 → [0, 0.2775], 10/10 → [0.7225, 1], 5/10 → [0.2366, 0.7634], 45/100 → [0.3561, 0.5476].
    const close = (got: { low: number; high: number } | null, low: number, high: number) => {
      expect(got!.low).toBeCloseTo(low, 4);
      expect(got!.high).toBeCloseTo(high, 4);
    };
    close(wilsonInterval(0, 10), 0, 0.2775);
    close(wilsonInterval(10, 10), 0.7225, 1);
    close(wilsonInterval(5, 10), 0.2366, 0.7634);
    close(wilsonInterval(45, 100), 0.3561, 0.5476);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});
