// The decision of v5's grading.py (success / failure / neither, the truncated-id lookup, fail_only, the ratios,
// FULL / PARTIAL / NO) and report.json byte for byte.
import { describe, expect, it } from 'vitest';
import { resolutionOf, resolveTestKey, successRatio, testFailed, testMaintained, testPassed, testsStatus } from '../../src/grading/decide.js';
import { gradeTestOutput } from '../../src/grading/grade.js';
import { harnessReport, harnessReportJson, pythonJson } from '../../src/grading/report.js';
import type { StatusMap } from '../../src/grading/status.js';
import { evalLog, fixtureLog } from '../helpers/grading.js';

const sm = (o: Record<string, string>): StatusMap => new Map(Object.entries(o));

describe('one listed test', () => {
  const m = sm({ p: 'PASSED', x: 'XFAIL', s: 'SKIPPED', f: 'FAILED', e: 'ERROR', odd: 'ERROR:' });

  it('passes on PASSED or XFAIL, is maintained also on SKIPPED, fails when missing, FAILED, ERROR or SKIPPED (v5)', () => {
    const row = (t: string) => [testPassed(t, m), testMaintained(t, m), testFailed(t, m)];
    expect(row('p')).toEqual([true, true, false]);
    expect(row('x')).toEqual([true, true, false]);
    expect(row('s')).toEqual([false, true, true]);
    expect(row('f')).toEqual([false, false, true]);
    expect(row('e')).toEqual([false, false, true]);
    expect(row('missing')).toEqual([false, false, true]);
    // A status word outside the five ("ERROR: file or directory not found") is neither passed nor failed.
    expect(row('odd')).toEqual([false, false, false]);
  });
});

describe('truncated parametrized ids (#290)', () => {
  it('resolves an id cut mid-parameter to the first key starting with it when all such keys agree on pass/fail', () => {
    const m = sm({ 'a.py::t[x-2]': 'FAILED', 'a.py::t[x-1]': 'PASSED', 'a.py::t[x-3]': 'XFAIL', 'a.py::u[y-1]': 'PASSED', 'a.py::u[y-2]': 'XFAIL' });
    expect(resolveTestKey('a.py::u[y', m)).toBe('a.py::u[y-1]');
    expect(testPassed('a.py::u[y', m)).toBe(true);
    // t[x-… disagree (FAILED vs PASSED/XFAIL): no key, so the test is missing and fails.
    expect(resolveTestKey('a.py::t[x', m)).toBeNull();
    expect(testFailed('a.py::t[x', m)).toBe(true);
  });

  it('prefix-matches only ids with more "[" than "]", and an exact key always wins', () => {
    const m = sm({ 'a.py::t[1]': 'PASSED', 'a.py::t': 'FAILED', 'a.py::t[1]x': 'PASSED' });
    expect(resolveTestKey('a.py::t[1]', m)).toBe('a.py::t[1]');
    expect(resolveTestKey('a.py::', m)).toBeNull();
    expect(resolveTestKey('a.py::t[', m)).toBe('a.py::t[1]');
  });

  it('matches a dataset id cut at a space against the whole id parse_log_pytest_v2 keeps', () => {
    const g = gradeTestOutput(fixtureLog('eval-pytest8.log'), {
      instanceId: 'toy__pkg-1',
      failToPass: ['tests/test_core.py::test_label_with_space[m'],
      passToPass: [],
      parser: 'parse_log_pytest_v2',
      evalType: 'pass_and_fail',
    });
    expect(g.testsStatus?.FAIL_TO_PASS.success).toEqual(['tests/test_core.py::test_label_with_space[m']);
  });
});

describe('splitting FAIL_TO_PASS and PASS_TO_PASS', () => {
  const m = sm({ a: 'PASSED', b: 'FAILED', c: 'SKIPPED', d: 'ERROR:', e: 'ERROR' });

  it('pass_and_fail: F2P success/failure/neither, P2P maintained or failed; FAIL_TO_FAIL and PASS_TO_FAIL empty', () => {
    expect(testsStatus(m, ['a', 'b', 'c', 'd', 'gone'], ['a', 'b', 'c', 'd', 'gone'], 'pass_and_fail')).toEqual({
      FAIL_TO_PASS: { success: ['a'], failure: ['b', 'c', 'gone'] },
      PASS_TO_PASS: { success: ['a', 'c'], failure: ['b', 'gone'] },
      FAIL_TO_FAIL: { success: [], failure: [] },
      PASS_TO_FAIL: { success: [], failure: [] },
    });
  });

  it('fail_only: only a test present as FAILED fails; missing, ERROR and SKIPPED succeed; no prefix lookup', () => {
    const ts = testsStatus(sm({ ...Object.fromEntries(m), 'x[1-2]': 'FAILED' }), ['a', 'b', 'c', 'e', 'gone', 'x[1'], ['b', 'e'], 'fail_only');
    expect(ts.FAIL_TO_PASS).toEqual({ success: ['a', 'c', 'e', 'gone', 'x[1'], failure: ['b'] });
    expect(ts.PASS_TO_PASS).toEqual({ success: ['e'], failure: ['b'] });
  });

  it('an all-skipped F2P set is not resolved under v5 (v4 scored it 0/0 = FULL)', () => {
    expect(resolutionOf(testsStatus(sm({ t: 'SKIPPED' }), ['t'], [], 'pass_and_fail'))).toBe('NO');
  });
});

describe('resolution', () => {
  const ts = (f2p: [number, number], p2p: [number, number]) => ({
    FAIL_TO_PASS: { success: Array(f2p[0]).fill('s'), failure: Array(f2p[1]).fill('f') },
    PASS_TO_PASS: { success: Array(p2p[0]).fill('s'), failure: Array(p2p[1]).fill('f') },
    FAIL_TO_FAIL: { success: [], failure: [] },
    PASS_TO_FAIL: { success: [], failure: [] },
  });

  it('is FULL iff both ratios are 1, PARTIAL iff 0 < f2p < 1 with p2p 1, else NO; an empty side counts 1', () => {
    expect(resolutionOf(ts([2, 0], [3, 0]))).toBe('FULL');
    expect(resolutionOf(ts([0, 0], [0, 0]))).toBe('FULL');
    expect(resolutionOf(ts([1, 1], [3, 0]))).toBe('PARTIAL');
    expect(resolutionOf(ts([1, 1], [3, 1]))).toBe('NO');
    expect(resolutionOf(ts([0, 2], [3, 0]))).toBe('NO');
    expect(resolutionOf(ts([2, 0], [3, 1]))).toBe('NO');
    expect(successRatio({ success: ['a'], failure: ['b', 'c'] })).toBeCloseTo(1 / 3);
  });

  it('resolves empty FAIL_TO_PASS and PASS_TO_PASS lists on a valid log, and never calls PARTIAL resolved', () => {
    const spec = { instanceId: 'x', failToPass: [], passToPass: [], parser: 'parse_log_pytest', evalType: 'pass_and_fail' as const };
    expect(gradeTestOutput(fixtureLog('eval-pytest8.log'), spec)).toMatchObject({ resolution: 'FULL', resolved: true, failToPassRatio: 1, passToPassRatio: 1 });
    const partial = gradeTestOutput(fixtureLog('eval-pytest8.log'), { ...spec, failToPass: ['tests/test_core.py::test_add_ints', 'tests/test_core.py::test_add_strings_fails'] });
    expect(partial).toMatchObject({ resolution: 'PARTIAL', resolved: false, failToPassRatio: 0.5 });
  });
});

describe('report.json', () => {
  const log = evalLog('PASSED tests/test_core.py::test_add_param[1-2-3]\nPASSED tests/test_core.py::test_add_ints\nFAILED tests/test_core.py::test_add_param[2-2-5] - assert 4 == 5\nFAILED tests/test_core.py::test_needs_network', 1);
  const spec = {
    instanceId: 'toy__pkg-1',
    failToPass: ['tests/test_core.py::test_add_param[1-2-3]', 'tests/test_core.py::test_add_param[2-2-5]'],
    passToPass: ['tests/test_core.py::test_add_ints', 'tests/test_core.py::test_needs_network'],
    parser: 'parse_log_pytest',
    evalType: 'pass_and_fail' as const,
  };
  const grade = gradeTestOutput(log, spec);

  it('is the harness\'s json.dumps(report, indent=4), key order included, with no newline at the end', () => {
    const expected = [
      '{',
      '    "toy__pkg-1": {',
      '        "patch_is_None": false,',
      '        "patch_exists": true,',
      '        "patch_successfully_applied": true,',
      '        "resolved": false,',
      '        "infra_failure": false,',
      '        "tests_status": {',
      '            "FAIL_TO_PASS": {',
      '                "success": [',
      '                    "tests/test_core.py::test_add_param[1-2-3]"',
      '                ],',
      '                "failure": [',
      '                    "tests/test_core.py::test_add_param[2-2-5]"',
      '                ]',
      '            },',
      '            "PASS_TO_PASS": {',
      '                "success": [',
      '                    "tests/test_core.py::test_add_ints"',
      '                ],',
      '                "failure": [',
      '                    "tests/test_core.py::test_needs_network"',
      '                ]',
      '            },',
      '            "FAIL_TO_FAIL": {',
      '                "success": [],',
      '                "failure": []',
      '            },',
      '            "PASS_TO_FAIL": {',
      '                "success": [],',
      '                "failure": []',
      '            }',
      '        }',
      '    }',
      '}',
    ].join('\n');
    expect(harnessReportJson(harnessReport({ instanceId: 'toy__pkg-1', modelPatch: 'diff --git a/x b/x', grade }))).toBe(expected);
  });

  it('has no tests_status when the log is invalid, and the infra failure only when told one', () => {
    const invalid = gradeTestOutput('no markers here', spec);
    expect(harnessReport({ instanceId: 'i', modelPatch: 'p', grade: invalid })).toEqual({
      i: { patch_is_None: false, patch_exists: true, patch_successfully_applied: false, resolved: false, infra_failure: false },
    });
    const oom = harnessReport({ instanceId: 'i', modelPatch: 'p', grade: invalid, infra: { reason: 'Killed: out of memory', environment: true } });
    expect(Object.keys(oom.i)).toEqual(['patch_is_None', 'patch_exists', 'patch_successfully_applied', 'resolved', 'infra_failure', 'infra_failure_reason']);
    expect(oom.i.infra_failure).toBe(true);
  });

  it('says patch_is_None and nothing more for a missing prediction', () => {
    expect(harnessReport({ instanceId: 'i', modelPatch: null })).toEqual({ i: { patch_is_None: true, patch_exists: false, patch_successfully_applied: false, resolved: false, infra_failure: false } });
  });

  it('escapes every character outside " "-"~" as Python\'s ensure_ascii does', () => {
    expect(pythonJson(['é', '\u2028', '\x7f', '😀', '\x1b', 'a"b\\'])).toBe('[\n    "\\u00e9",\n    "\\u2028",\n    "\\u007f",\n    "\\ud83d\\ude00",\n    "\\u001b",\n    "a\\"b\\\\"\n]');
  });
});
