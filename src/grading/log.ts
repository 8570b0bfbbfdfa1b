// From an eval log to a status map and whether the log is gradable, exactly as v5's get_logs_eval: the invalid
// markers, the start/end markers, the slice between them, the whole-log fallback, the "suite ran" evidence and
// the exit-code check against forged results (#620). Each refusal comes with its reason in plain words.
import { END_TEST_OUTPUT, INVALID_LOG_MARKERS, START_TEST_OUTPUT, TEST_EXIT_CODE } from './markers.js';
import { PY_DIGIT, PY_SPACE, pyInt } from './python-text.js';
import { ParserCrash, type LogParser, type StatusMap } from './status.js';

/**
 * Evidence that a runner executed, for an empty status map: "ran with no results" vs "never ran" (v5 SUITE_RAN;
 * every count non-zero). None of these is printed by pytest, Django's or sympy's runner.
 */
const SUITE_RAN = new RegExp(
  [
    `Executed [1-9]${PY_DIGIT}* of ${PY_DIGIT}+`,
    `TOTAL: [1-9]${PY_DIGIT}* (?:SUCCESS|FAILED)`,
    `[1-9]${PY_DIGIT}* passing`,
    `Tests:${PY_SPACE}+[1-9]${PY_DIGIT}*`,
    `Test Suites:${PY_SPACE}+(?:${PY_DIGIT}+ [\\p{L}\\p{N}_]+, )*[1-9]${PY_DIGIT}* total`,
    `(?<![^\\n])# tests [1-9]${PY_DIGIT}*`,
    `[1-9]${PY_DIGIT}* specs?, ${PY_DIGIT}+ failures?`,
    `': ok(?![^\\n])`,
  ].join('|'),
  'u',
);

const EXIT_CODE = new RegExp(`${TEST_EXIT_CODE}:${PY_SPACE}*(-?${PY_DIGIT}+)`, 'u');

/** The test command's exit code the eval script echoed after the end marker (the first such line), or null. */
export function testExitCode(content: string): number | null {
  const m = EXIT_CODE.exec(content);
  if (!m) return null;
  const digits = m[1].replace(/^-/, '');
  const value = pyInt(digits);
  return m[1].startsWith('-') && value !== 0 ? -value : value;
}

/**
 * content.split(START)[1].split(END)[0]: after the first start marker, up to the next start marker or the
 * first end marker, whichever comes first.
 */
export function sliceTestOutput(content: string): string {
  const after = content.slice(content.indexOf(START_TEST_OUTPUT) + START_TEST_OUTPUT.length);
  const nextStart = after.indexOf(START_TEST_OUTPUT);
  const segment = nextStart < 0 ? after : after.slice(0, nextStart);
  const end = segment.indexOf(END_TEST_OUTPUT);
  return end < 0 ? segment : segment.slice(0, end);
}

/**
 * How the text is framed: an eval log (its test output between the start and end markers), or the bare output
 * of the test command, graded as a whole as if the markers enclosed it.
 */
export type Framing = 'eval-log' | 'test-output';

export interface LogEvaluation {
  statusMap: StatusMap;
  /** What report.json calls patch_successfully_applied: the log can be graded. */
  valid: boolean;
  /** Why it cannot, in plain words; null when valid. */
  invalidReason: string | null;
  testExitCode: number | null;
  /** Where the status map came from: the test output, or (when that had no results) the whole log. */
  parsedFrom: 'test-output' | 'whole-log' | null;
}

function invalid(reason: string, testExitCode: number | null): LogEvaluation {
  return { statusMap: new Map(), valid: false, invalidReason: reason, testExitCode, parsedFrom: null };
}

function missingMarkers(hasStart: boolean, hasEnd: boolean): string {
  if (!hasStart && !hasEnd) return 'neither the start nor the end marker of the test output is in the log: the test command never ran';
  return hasStart ? 'the end marker of the test output is missing: the test run was cut off' : 'the start marker of the test output is missing';
}

export function evaluateLog(content: string, parse: LogParser, parserName: string, framing: Framing = 'eval-log'): LogEvaluation {
  const exitCode = testExitCode(content);
  const bad = INVALID_LOG_MARKERS.find((m) => content.includes(m.marker));
  if (bad) return invalid(`the log says "${bad.marker}": ${bad.means}`, exitCode);
  let testOutput = content;
  if (framing === 'eval-log') {
    const hasStart = content.includes(START_TEST_OUTPUT);
    const hasEnd = content.includes(END_TEST_OUTPUT);
    if (!hasStart || !hasEnd) return invalid(missingMarkers(hasStart, hasEnd), exitCode);
    testOutput = sliceTestOutput(content);
  }
  let statusMap: StatusMap;
  let parsedFrom: LogEvaluation['parsedFrom'] = 'test-output';
  try {
    statusMap = parse(testOutput);
    // "Some runners emit results outside the markers": the harness parses the whole log then.
    if (statusMap.size === 0 && testOutput !== content) {
      statusMap = parse(content);
      parsedFrom = 'whole-log';
    }
  } catch (e) {
    if (!(e instanceof ParserCrash)) throw e;
    return invalid(`the harness's ${e.message}, so it grades nothing`, exitCode);
  }
  if (statusMap.size === 0 && !SUITE_RAN.test(content)) {
    return invalid(`${parserName} found no test results (between the markers nor in the whole log) and nothing shows the test suite ran`, exitCode);
  }
  // A patch can print its own "PASSED" lines (a conftest.py hook): a run that exited non-zero yet reports no
  // failed or erroring test is not the run that happened.
  const reportsFailure = [...statusMap.values()].some((s) => s === 'FAILED' || s === 'ERROR');
  if (exitCode !== null && exitCode !== 0 && statusMap.size > 0 && !reportsFailure) {
    return invalid(`the test command exited ${exitCode} yet none of the ${statusMap.size} results in the log failed or errored: the log does not describe the run (forged results?)`, exitCode);
  }
  return { statusMap, valid: true, invalidReason: null, testExitCode: exitCode, parsedFrom: statusMap.size === 0 ? null : parsedFrom };
}
