// The marker lines of an eval log, exactly as SWE-bench 5 writes and reads them (swebench/harness/constants).
// The eval script writes the start and end markers as no-op `: '...'` commands, so they reach the log through
// bash's xtrace (`set -x`), and echoes the test command's exit code after the end marker.

export const START_TEST_OUTPUT = '>>>>> Start Test Output';
export const END_TEST_OUTPUT = '>>>>> End Test Output';
export const TEST_EXIT_CODE = '>>>>> Test Exit Code';
/** The shell variable the eval script keeps the test command's $? in. */
export const TEST_EXIT_CODE_VAR = 'SWEBENCH_TEST_EXIT_CODE';

export const APPLY_PATCH_FAIL = '>>>>> Patch Apply Failed';
export const RESET_FAILED = '>>>>> Reset Failed';
export const TESTS_ERROR = '>>>>> Tests Errored';
export const TESTS_TIMEOUT = '>>>>> Tests Timed Out';

/** Any of these anywhere in the log makes it ungradable, whatever else it holds; with what each means. */
export const INVALID_LOG_MARKERS: readonly { marker: string; means: string }[] = [
  { marker: APPLY_PATCH_FAIL, means: 'the model patch did not apply' },
  { marker: RESET_FAILED, means: 'resetting the repository failed' },
  { marker: TESTS_ERROR, means: 'the test run errored' },
  { marker: TESTS_TIMEOUT, means: 'the tests timed out' },
];

/**
 * v5's record_test_exit_code: around the line holding the end marker, keep the test command's $? and echo it
 * after the marker (outside the parsed region). A script without an end marker is returned as it is.
 */
export function recordTestExitCode(scriptLines: readonly string[]): string[] {
  const end = scriptLines.findIndex((line) => line.includes(END_TEST_OUTPUT));
  if (end < 0) return [...scriptLines];
  return [
    ...scriptLines.slice(0, end),
    `${TEST_EXIT_CODE_VAR}=$?`,
    scriptLines[end],
    `echo "${TEST_EXIT_CODE}: $${TEST_EXIT_CODE_VAR}"`,
    ...scriptLines.slice(end + 1),
  ];
}
