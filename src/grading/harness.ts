// TEMPORARY: the grading core's API as the grading integration uses it; replaced by the grade helper's modules.
import type { SwebenchTask } from '../swebench/task.js';

export interface TestsStatus {
  FAIL_TO_PASS: { success: string[]; failure: string[] };
  PASS_TO_PASS: { success: string[]; failure: string[] };
  FAIL_TO_FAIL: { success: string[]; failure: string[] };
  PASS_TO_FAIL: { success: string[]; failure: string[] };
}

export interface GradeResult {
  logValid: boolean;
  invalidReason: string | null;
  testExitCode: number | null;
  testsStatus: TestsStatus;
  resolution: 'FULL' | 'PARTIAL' | 'NO';
  resolved: boolean;
}

export interface GradeSpec {
  instanceId: string;
  failToPass: string[];
  passToPass: string[];
  parser: string;
  evalType: SwebenchTask['evalType'];
}

export function gradeTestOutput(_text: string, _spec: GradeSpec): GradeResult {
  throw new Error('grading core not merged yet');
}
export function parserFor(_task: SwebenchTask, _override?: string): string {
  throw new Error('grading core not merged yet');
}
export function harnessReport(_instanceId: string, _g: GradeResult): unknown {
  throw new Error('grading core not merged yet');
}
