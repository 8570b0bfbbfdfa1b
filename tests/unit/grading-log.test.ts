// The log rules of v5's get_logs_eval: invalid markers, missing markers, the slice, the whole-log fallback, the
// "suite ran" evidence, the exit-code check against forged results; and the bare test output of `grade --log`.
import { describe, expect, it } from 'vitest';
import { gradeSavedLog, gradeTestOutput, type GradeSpec } from '../../src/grading/grade.js';
import { evaluateLog, sliceTestOutput, testExitCode } from '../../src/grading/log.js';
import { recordTestExitCode } from '../../src/grading/markers.js';
import { parseLogPytest } from '../../src/grading/parsers/pytest.js';
import { evalLog, fixtureLog } from '../helpers/grading.js';

const spec = (over: Partial<GradeSpec> = {}): GradeSpec => ({
  instanceId: 'toy__pkg-1',
  failToPass: ['tests/test_core.py::test_add_param[1-2-3]'],
  passToPass: ['tests/test_core.py::test_add_ints'],
  parser: 'parse_log_pytest',
  evalType: 'pass_and_fail',
  ...over,
});

const PASSING = 'PASSED tests/test_core.py::test_add_ints\nPASSED tests/test_core.py::test_add_param[1-2-3]\n=== 2 passed in 0.01s ===';

describe('a real eval log (bash -x eval.sh with pytest 8)', () => {
  const log = fixtureLog('eval-pytest8.log');

  it('is graded between its markers, with the exit code echoed after the end marker', () => {
    const g = gradeTestOutput(log, spec());
    expect(g).toMatchObject({ logValid: true, invalidReason: null, parsedFrom: 'test-output', testExitCode: 1, resolution: 'FULL', resolved: true, statusMapSize: 20 });
    expect(g.testsStatus?.PASS_TO_PASS).toEqual({ success: ['tests/test_core.py::test_add_ints'], failure: [] });
  });

  it('slices from the start marker\'s line end to the "+ : \'" before the end marker', () => {
    const slice = sliceTestOutput(log);
    expect(slice.startsWith("'\n+ ")).toBe(true);
    expect(slice.endsWith("+ SWEBENCH_TEST_EXIT_CODE=1\n+ : '")).toBe(true);
  });
});

describe('invalid logs', () => {
  it('refuses a log holding any of the four failure markers, anywhere', () => {
    for (const [marker, says] of [
      ['>>>>> Patch Apply Failed', 'the model patch did not apply'],
      ['>>>>> Reset Failed', 'resetting the repository failed'],
      ['>>>>> Tests Errored', 'the test run errored'],
      ['>>>>> Tests Timed Out', 'the tests timed out'],
    ]) {
      const g = gradeTestOutput(`${evalLog(PASSING, 0)}\n${marker}\n`, spec());
      expect(g).toMatchObject({ logValid: false, resolution: 'NO', resolved: false, testsStatus: null, statusMapSize: 0 });
      expect(g.invalidReason).toBe(`the log says "${marker}": ${says}`);
    }
  });

  it('refuses an eval log missing its start or end marker, saying which', () => {
    const full = evalLog(PASSING, 0);
    const noEnd = full.slice(0, full.indexOf("+ : '>>>>> End"));
    expect(gradeTestOutput(noEnd, spec()).invalidReason).toBe('the end marker of the test output is missing: the test run was cut off');
    expect(gradeTestOutput(full.replace('>>>>> Start Test Output', 'start'), spec()).invalidReason).toBe('the start marker of the test output is missing');
    expect(gradeTestOutput(PASSING, spec()).invalidReason).toMatch(/^neither the start nor the end marker/);
  });

  it('refuses a log where no results are found and nothing shows the suite ran (v5 SUITE_RAN)', () => {
    const crashed = evalLog('Traceback (most recent call last):\nImportError: cannot import name x', 1, 'bin/test -C --verbose t.py');
    const g = gradeTestOutput(crashed, spec({ parser: 'parse_log_sympy' }));
    expect(g.logValid).toBe(false);
    expect(g.invalidReason).toBe('parse_log_sympy found no test results (between the markers nor in the whole log) and nothing shows the test suite ran');
  });

  it('keeps a log with no results but evidence that a suite ran: every listed test is then missing', () => {
    for (const evidence of ['Executed 3 of 3 SUCCESS', 'TOTAL: 2 SUCCESS', '4 passing (20ms)', 'Tests:       5 passed', '# tests 2', "render 'case-1': ok"]) {
      const g = gradeTestOutput(evalLog(evidence, 0), spec());
      expect(g.logValid, evidence).toBe(true);
      expect(g.testsStatus?.FAIL_TO_PASS.failure).toEqual(spec().failToPass);
    }
    // A zero count is no evidence.
    expect(gradeTestOutput(evalLog('Executed 0 of 0', 0), spec()).logValid).toBe(false);
  });

  it('refuses a run that exited non-zero yet reports no failed or erroring test (#620: forged PASSED lines)', () => {
    const g = gradeTestOutput(evalLog(PASSING, 1), spec());
    expect(g.logValid).toBe(false);
    expect(g.invalidReason).toBe('the test command exited 1 yet none of the 2 results in the log failed or errored: the log does not describe the run (forged results?)');
    expect(g.testExitCode).toBe(1);
    // A real failure beside the forged passes satisfies the check: forged lines after real failures still
    // resolve, in every harness version (the harness verdict is kept).
    const withFailure = gradeTestOutput(evalLog(`${PASSING}\nFAILED tests/test_core.py::test_other - boom`, 1), spec());
    expect(withFailure).toMatchObject({ logValid: true, resolved: true });
    // No exit-code line (a pre-v5 eval script): the check does not apply.
    expect(gradeTestOutput(evalLog(PASSING, null), spec())).toMatchObject({ logValid: true, resolved: true, testExitCode: null });
  });

  it('reads the first exit-code line, as Python\'s re.search does, with Python\'s \\s and \\d', () => {
    expect(testExitCode('>>>>> Test Exit Code: 0\n>>>>> Test Exit Code: 1')).toBe(0);
    expect(testExitCode('>>>>> Test Exit Code:\t-2')).toBe(-2);
    expect(testExitCode('>>>>> Test Exit Code: \u0661\u0662')).toBe(12);
    expect(testExitCode('>>>>> Test Exit Code: x')).toBeNull();
  });

  it('is invalid where the harness\'s parser would crash, so it grades nothing', () => {
    const g = gradeTestOutput(evalLog('test_a (m.T) ... ok\nFAIL:', 1, './tests/runtests.py --verbosity 2'), spec({ parser: 'parse_log_django' }));
    expect(g.logValid).toBe(false);
    expect(g.invalidReason).toMatch(/^the harness's parse_log_django raises IndexError on line \d+ \("FAIL:"\), so it grades nothing$/);
  });
});

describe('where the results come from', () => {
  it('falls back to the whole log when the slice holds no results (output that landed outside the markers)', () => {
    const log = `PASSED tests/test_core.py::test_add_ints\nPASSED tests/test_core.py::test_add_param[1-2-3]\n${evalLog('', 0)}`;
    expect(gradeTestOutput(log, spec())).toMatchObject({ logValid: true, parsedFrom: 'whole-log', resolved: true });
  });

  it('puts results found outside the markers through the exit-code check too', () => {
    // pytest exits 5 when it collects nothing; the passes come from before the start marker.
    const log = `PASSED tests/test_core.py::test_add_ints\nPASSED tests/test_core.py::test_add_param[1-2-3]\n${evalLog('collected 0 items', 5)}`;
    expect(gradeTestOutput(log, spec())).toMatchObject({ logValid: false, testExitCode: 5 });
  });

  it('takes the first start marker and stops at the next start or the first end marker', () => {
    const twice = "+ : '>>>>> Start Test Output'\nPASSED a\n+ : '>>>>> Start Test Output'\nPASSED b\n+ : '>>>>> End Test Output'\nPASSED c";
    expect(sliceTestOutput(twice)).toBe("'\nPASSED a\n+ : '");
    expect([...evaluateLog(twice, parseLogPytest, 'parse_log_pytest').statusMap.keys()]).toEqual(['a']);
  });

  it('reads "\\r\\n" and lone "\\r" as newlines, as Python\'s open() hands the file to the harness', () => {
    const crlf = evalLog(PASSING, 0).replaceAll('\n', '\r\n');
    expect(gradeTestOutput(crlf, spec())).toMatchObject({ logValid: true, resolved: true });
  });
});

describe('a saved log without markers (grade --log)', () => {
  it('grades bare test output whole, as if the markers enclosed it', () => {
    const g = gradeSavedLog(fixtureLog('pytest8-rA.log'), spec());
    expect(g).toMatchObject({ framing: 'test-output', logValid: true, parsedFrom: 'test-output', testExitCode: null, resolved: true });
    const django = gradeSavedLog(fixtureLog('django-py310.log'), spec({ parser: 'parse_log_django', failToPass: ['test_empty (fixture_app.tests.NumberFormatTests)'], passToPass: [] }));
    expect(django).toMatchObject({ framing: 'test-output', logValid: true, resolution: 'NO' });
  });

  it('keeps the harness\'s rules for a log with only one marker, and for the failure markers', () => {
    const cut = evalLog(PASSING, 0).split("+ : '>>>>> End")[0];
    expect(gradeSavedLog(cut, spec())).toMatchObject({ framing: 'eval-log', logValid: false });
    expect(gradeSavedLog(`${PASSING}\n>>>>> Tests Timed Out`, spec())).toMatchObject({ framing: 'test-output', logValid: false });
  });

  it('grades an eval log with its markers exactly as gradeTestOutput does', () => {
    const log = fixtureLog('eval-pytest8.log');
    expect(gradeSavedLog(log, spec())).toEqual(gradeTestOutput(log, spec()));
  });

  it('still needs the suite to have run', () => {
    expect(gradeSavedLog('ModuleNotFoundError: No module named sympy', spec({ parser: 'parse_log_sympy' })).logValid).toBe(false);
  });
});

describe('recordTestExitCode', () => {
  it('keeps $? before the end marker and echoes it after, as v5 rewrites the eval script', () => {
    const script = ["cd /testbed", ": '>>>>> Start Test Output'", 'pytest -rA t.py', ": '>>>>> End Test Output'", 'git checkout abc t.py'];
    expect(recordTestExitCode(script)).toEqual([
      'cd /testbed',
      ": '>>>>> Start Test Output'",
      'pytest -rA t.py',
      'SWEBENCH_TEST_EXIT_CODE=$?',
      ": '>>>>> End Test Output'",
      'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"',
      'git checkout abc t.py',
    ]);
    expect(recordTestExitCode(['pytest'])).toEqual(['pytest']);
  });
});
