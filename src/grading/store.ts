// The evaluations table: one row per grading, written once when it ends, in the same transaction that gives
// the run row its latest verdict.
import type { Db } from '../db/open.js';

export type EvalStatus = 'resolved' | 'unresolved' | 'empty_patch' | 'patch_failed' | 'log_invalid' | 'timeout' | 'error';
export const EVAL_STATUSES: readonly EvalStatus[] = ['resolved', 'unresolved', 'empty_patch', 'patch_failed', 'log_invalid', 'timeout', 'error'];

export interface EvaluationRow {
  id: string;
  run_id: string;
  attempt: number;
  status: EvalStatus;
  resolution?: 'FULL' | 'PARTIAL' | 'NO' | null;
  message: string;
  instance_id: string;
  f2p_success?: number | null;
  f2p_failure?: number | null;
  p2p_success?: number | null;
  p2p_failure?: number | null;
  tests_status?: string | null;
  test_exit_code?: number | null;
  parser: string;
  eval_type: string;
  eval_script_origin: string;
  patch_bytes?: number | null;
  patch_applied_with?: string | null;
  test_patch_applied?: number | null;
  source_image: string;
  source_image_id?: string | null;
  container_name?: string | null;
  eval_profile: string;
  memory_limit_bytes: number | null;
  cpus: number | null;
  timeout_ms: number | null;
  eval_dir: string;
  log_path?: string | null;
  report_path?: string | null;
  started_at: number;
  finished_at: number;
  duration_ms: number;
  sample_source?: string | null;
  sample_count?: number | null;
  peak_memory_bytes?: number | null;
  cpu_seconds?: number | null;
}

const COLUMNS: (keyof EvaluationRow)[] = [
  'id', 'run_id', 'attempt', 'status', 'resolution', 'message', 'instance_id', 'f2p_success', 'f2p_failure', 'p2p_success',
  'p2p_failure', 'tests_status', 'test_exit_code', 'parser', 'eval_type', 'eval_script_origin', 'patch_bytes', 'patch_applied_with',
  'test_patch_applied', 'source_image', 'source_image_id', 'container_name', 'eval_profile', 'memory_limit_bytes', 'cpus', 'timeout_ms',
  'eval_dir', 'log_path', 'report_path', 'started_at', 'finished_at', 'duration_ms', 'sample_source', 'sample_count', 'peak_memory_bytes',
  'cpu_seconds',
];

export function nextAttempt(db: Db, runId: string): number {
  const row = db.prepare('SELECT MAX(attempt) AS last FROM evaluations WHERE run_id = ?').get(runId) as { last: number | null };
  return (row.last ?? 0) + 1;
}

/** Writes the row and the run's latest verdict; returns the row as stored (every column, null when unknown). */
export function insertEvaluation(db: Db, row: EvaluationRow): EvaluationRow {
  const values = Object.fromEntries(COLUMNS.map((c) => [c, row[c] ?? null])) as unknown as EvaluationRow;
  db.transaction(() => {
    db.prepare(`INSERT INTO evaluations (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`).run(values);
    db.prepare('UPDATE runs SET eval_status = ?, resolution = ? WHERE id = ?').run(row.status, row.resolution ?? null, row.run_id);
  })();
  return values;
}

/** The latest evaluation of each of these runs (runs never graded are absent). */
export function latestEvaluations(db: Db, runIds: string[]): Map<string, EvaluationRow> {
  const rows = db
    .prepare(`SELECT * FROM latest_evaluations WHERE run_id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify(runIds)) as EvaluationRow[];
  return new Map(rows.map((r) => [r.run_id, r]));
}
