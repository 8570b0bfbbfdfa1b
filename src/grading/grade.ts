// Grading one test log the way SWE-bench 5 does: text + what the task lists → the verdict. Pure: no files, no
// containers. The trial's evaluation step and `agentpod grade --log` both come through here.
import { resolutionOf, successRatio, testsStatus, type EvalType, type Resolution, type TestsStatus } from './decide.js';
import { evaluateLog, type Framing } from './log.js';
import { END_TEST_OUTPUT, START_TEST_OUTPUT } from './markers.js';
import { parserByName } from './parsers/index.js';
import { universalNewlines } from './python-text.js';

export interface GradeSpec {
  instanceId: string;
  failToPass: readonly string[];
  passToPass: readonly string[];
  /** A harness parser name (parse_log_pytest, parse_log_django, ...); see parserFor(). */
  parser: string;
  evalType: EvalType;
}

export interface GradeResult {
  instanceId: string;
  parser: string;
  evalType: EvalType;
  /** The text was an eval log (markers) or the bare test output, graded whole. */
  framing: Framing;
  /** The harness could grade the log (report.json's patch_successfully_applied). */
  logValid: boolean;
  /** Why not, in plain words; null when valid. */
  invalidReason: string | null;
  /** Where the results came from: the test output, or the whole log (the harness's fallback); null if none. */
  parsedFrom: 'test-output' | 'whole-log' | null;
  /** Distinct test ids the parser found. */
  statusMapSize: number;
  /** The test command's exit code echoed after the end marker; null when the log has none. */
  testExitCode: number | null;
  /** null when the log is invalid (the harness's report then has no tests_status). */
  testsStatus: TestsStatus | null;
  /** Successes over graded tests (1 when none were graded); null when the log is invalid. */
  failToPassRatio: number | null;
  passToPassRatio: number | null;
  /** NO when the log is invalid. */
  resolution: Resolution;
  /** resolution === FULL. */
  resolved: boolean;
}

/**
 * Grades an eval log as the harness does: no start or end marker means an invalid log. The text is read as
 * Python's open() reads test_output.txt (universal newlines). An unknown parser name throws ConfigError.
 */
export function gradeTestOutput(text: string, spec: GradeSpec, framing: Framing = 'eval-log'): GradeResult {
  const parser = parserByName(spec.parser);
  const log = evaluateLog(universalNewlines(text), parser.parse, parser.name, framing);
  const base = {
    instanceId: spec.instanceId,
    parser: parser.name,
    evalType: spec.evalType,
    framing,
    logValid: log.valid,
    invalidReason: log.invalidReason,
    parsedFrom: log.parsedFrom,
    statusMapSize: log.statusMap.size,
    testExitCode: log.testExitCode,
  };
  if (!log.valid) return { ...base, testsStatus: null, failToPassRatio: null, passToPassRatio: null, resolution: 'NO', resolved: false };
  const ts = testsStatus(log.statusMap, spec.failToPass, spec.passToPass, spec.evalType);
  const resolution = resolutionOf(ts);
  return {
    ...base,
    testsStatus: ts,
    failToPassRatio: successRatio(ts.FAIL_TO_PASS),
    passToPassRatio: successRatio(ts.PASS_TO_PASS),
    resolution,
    resolved: resolution === 'FULL',
  };
}

/**
 * A saved log as `agentpod grade --log` takes it: an eval log with its markers, or only the test command's
 * output. Text holding neither marker is the latter and is graded whole, as if the markers enclosed it; text
 * holding one marker but not the other is a broken eval log and stays invalid, as the harness has it.
 */
export function gradeSavedLog(text: string, spec: GradeSpec): GradeResult {
  const bare = !text.includes(START_TEST_OUTPUT) && !text.includes(END_TEST_OUTPUT);
  return gradeTestOutput(text, spec, bare ? 'test-output' : 'eval-log');
}
