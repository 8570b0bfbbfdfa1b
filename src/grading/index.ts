// Grading like the SWE-bench 5 harness, pure: log parsers, log validity, the verdict, report.json.
// docs/grading.md says how it decides.
export { gradeSavedLog, gradeTestOutput, type GradeResult, type GradeSpec } from './grade.js';
export { parserByName, parserFor, PARSER_NAMES, REPO_PARSERS, type ParserChoice } from './parsers/index.js';
export { harnessReport, harnessReportJson, type HarnessReport, type InfraFailure, type InstanceReport } from './report.js';
export type { EvalType, Resolution, TestsSplit, TestsStatus } from './decide.js';
export type { Framing } from './log.js';
export * from './markers.js';
