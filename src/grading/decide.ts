// The verdict from a status map, as v5's grading.py decides it: each FAIL_TO_PASS and PASS_TO_PASS test into
// success or failure (or, for F2P, neither), the two ratios, and FULL / PARTIAL / NO; resolved means FULL.
import type { StatusMap } from './status.js';

export type EvalType = 'pass_and_fail' | 'fail_only';
export type Resolution = 'FULL' | 'PARTIAL' | 'NO';

export interface TestsSplit {
  success: string[];
  failure: string[];
}

/** report.json's tests_status, in the harness's key order. */
export interface TestsStatus {
  FAIL_TO_PASS: TestsSplit;
  PASS_TO_PASS: TestsSplit;
  /** Always empty: the harness grades with calculate_to_fail off. */
  FAIL_TO_FAIL: TestsSplit;
  PASS_TO_FAIL: TestsSplit;
}

const PASSING = new Set(['PASSED', 'XFAIL']);
const FAILING = new Set(['FAILED', 'ERROR', 'SKIPPED']);

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * The status-map key of a listed test: the test itself, or, only for an id cut mid-parameter (more "[" than
 * "]"; 676 such ids in SWE-bench Verified, #290), the first key (in log order) starting with it, provided every
 * key starting with it agrees on passed-or-not (PASSED and XFAIL alike). Else null: the test is missing.
 */
export function resolveTestKey(test: string, sm: StatusMap): string | null {
  if (sm.has(test)) return test;
  if (count(test, '[') <= count(test, ']')) return null;
  const matches = [...sm.keys()].filter((k) => k.startsWith(test));
  if (matches.length === 0) return null;
  const passing = new Set(matches.map((k) => PASSING.has(sm.get(k)!)));
  return passing.size === 1 ? matches[0] : null;
}

/** The status of a listed test's key; undefined when it is missing. */
const statusOf = (test: string, sm: StatusMap): string | undefined => {
  const key = resolveTestKey(test, sm);
  return key === null ? undefined : sm.get(key);
};

const passed = (status: string | undefined) => status !== undefined && PASSING.has(status);
const maintained = (status: string | undefined) => passed(status) || status === 'SKIPPED';
const failed = (status: string | undefined) => status === undefined || FAILING.has(status);

export const testPassed = (test: string, sm: StatusMap): boolean => passed(statusOf(test, sm));

/** For PASS_TO_PASS (v5): a skipped test is no regression. */
export const testMaintained = (test: string, sm: StatusMap): boolean => maintained(statusOf(test, sm));

/** Missing, failed, errored or (v5) skipped. A status word outside the five (e.g. "ERROR:") is neither. */
export const testFailed = (test: string, sm: StatusMap): boolean => failed(statusOf(test, sm));

function split(tests: readonly string[], classify: (test: string) => 'success' | 'failure' | null): TestsSplit {
  const out: TestsSplit = { success: [], failure: [] };
  for (const t of tests) {
    const side = classify(t);
    if (side) out[side].push(t);
  }
  return out;
}

/**
 * get_eval_tests_report. pass_and_fail: F2P success if passed, else failure if failed, else in neither list;
 * P2P success if maintained, else failure if failed. fail_only: a test fails only when its own id (no prefix
 * lookup) is in the map as FAILED; missing, erroring and skipped tests succeed.
 */
export function testsStatus(sm: StatusMap, failToPass: readonly string[], passToPass: readonly string[], evalType: EvalType): TestsStatus {
  const failOnly = (t: string) => (sm.get(t) === 'FAILED' ? 'failure' : 'success');
  const graded = (success: (status: string | undefined) => boolean) => (t: string) => {
    const status = statusOf(t, sm);
    return success(status) ? 'success' : failed(status) ? 'failure' : null;
  };
  const f2p = graded(passed);
  const p2p = graded(maintained);
  return {
    FAIL_TO_PASS: split(failToPass, evalType === 'fail_only' ? failOnly : f2p),
    PASS_TO_PASS: split(passToPass, evalType === 'fail_only' ? failOnly : p2p),
    FAIL_TO_FAIL: { success: [], failure: [] },
    PASS_TO_FAIL: { success: [], failure: [] },
  };
}

/** compute_fail_to_pass / compute_pass_to_pass: successes over graded tests, 1 when none were graded. */
export function successRatio(s: TestsSplit): number {
  const total = s.success.length + s.failure.length;
  return total === 0 ? 1 : s.success.length / total;
}

/** get_resolution_status: FULL iff both ratios are 1; PARTIAL iff 0 < f2p < 1 and p2p is 1; else NO. */
export function resolutionOf(ts: TestsStatus): Resolution {
  const f2p = successRatio(ts.FAIL_TO_PASS);
  const p2p = successRatio(ts.PASS_TO_PASS);
  if (f2p === 1 && p2p === 1) return 'FULL';
  if (f2p > 0 && f2p < 1 && p2p === 1) return 'PARTIAL';
  return 'NO';
}
