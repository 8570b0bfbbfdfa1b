// report.json exactly as SWE-bench 5's get_eval_report builds it and run_instance writes it
// (`json.dumps(report, indent=4)`: four-space indent, non-ASCII escaped, no newline at the end).
import type { TestsStatus } from './decide.js';

export interface InstanceReport {
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  resolved: boolean;
  infra_failure: boolean;
  infra_failure_reason?: string;
  tests_status?: TestsStatus;
}

export type HarnessReport = Record<string, InstanceReport>;

/**
 * v5 classifies an ungradable log as an infrastructure failure from regexes over the logs (advisory only:
 * `resolved` stays false). agentpod does not guess from text; the caller may say what it knows (an OOM kill
 * counted by the cgroup, say). `environment` false keeps the reason but not the flag, as v5 does for
 * "ambiguous" causes.
 */
export interface InfraFailure {
  reason: string;
  environment: boolean;
}

export interface ReportInput {
  instanceId: string;
  /** The model's patch; null (no prediction at all) gives patch_is_None and nothing else. */
  modelPatch: string | null;
  /** The graded log; omit it only with modelPatch null. */
  grade?: { logValid: boolean; resolved: boolean; testsStatus: TestsStatus | null };
  infra?: InfraFailure;
}

export function harnessReport(input: ReportInput): HarnessReport {
  const r: InstanceReport = { patch_is_None: false, patch_exists: false, patch_successfully_applied: false, resolved: false, infra_failure: false };
  const report = { [input.instanceId]: r };
  if (input.modelPatch === null) {
    r.patch_is_None = true;
    return report;
  }
  r.patch_exists = true;
  if (!input.grade) throw new Error(`harnessReport(${input.instanceId}): a patch but no graded log`);
  if (!input.grade.logValid) {
    if (input.infra) {
      r.infra_failure = input.infra.environment;
      r.infra_failure_reason = input.infra.reason;
    }
    return report;
  }
  r.patch_successfully_applied = true;
  r.resolved = input.grade.resolved;
  if (input.grade.testsStatus) r.tests_status = input.grade.testsStatus;
  return report;
}

/** Python's json.dumps(value, indent=4) with its default ensure_ascii: every character outside " "-"~" escaped. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const harnessReportJson = (report: HarnessReport): string => pythonJson(report);
