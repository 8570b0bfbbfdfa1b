// Bringing a Slurm batch's results into the database: the published shards, Slurm's state of each finished
// task, a row for each task that died before publishing, and the batch's status. Run by the merge job, by
// `agentpod merge --batch-dir`, by `batch cancel`, and before a rerun plans what to submit (it is idempotent).
import type { Db } from '../db/open.js';
import { FINISHED_STATUSES, keyOf, type TrialKey } from '../batch/matrix.js';
import { batchTrials, endBatch } from '../batch/state.js';
import { readFileSync } from 'node:fs';
import { readSubmissions, taskLogPath, type ManifestTrial, type SubmissionManifest } from './manifest.js';
import { deadTaskRow, insertDeadTaskRows, type RunRow } from './dead-tasks.js';
import { mergeShards, type ShardReport } from './merge.js';
import type { TaskRecord } from './parse.js';
import { clusterConfig, endedTasks, liveTasks, type ClusterConfig } from './query.js';
import { publishedShards } from './shard.js';

/** The submission and trial an array task ran, from its array job id and task id. */
export function trialOfRecord(submissions: SubmissionManifest[], rec: Pick<TaskRecord, 'arrayJobId' | 'taskId'>): { m: SubmissionManifest; trial: ManifestTrial } | null {
  if (rec.taskId === null) return null;
  for (const m of submissions) {
    const array = m.arrays.find((a) => a.jobId === rec.arrayJobId);
    if (!array) continue;
    const trial = m.trials[array.offset + rec.taskId];
    return trial ? { m, trial } : null;
  }
  return null;
}

export const arrayJobIds = (submissions: SubmissionManifest[]) => submissions.flatMap((m) => m.arrays.map((a) => a.jobId).filter((id): id is string => id !== null));

export interface SlurmView {
  submissions: SubmissionManifest[];
  config: ClusterConfig;
  live: TaskRecord[];
  ended: Map<string, TaskRecord>;
}

/** What Slurm says about every task of the batch right now. */
export async function viewBatch(batchDir: string): Promise<SlurmView | null> {
  const submissions = readSubmissions(batchDir);
  if (submissions.length === 0) return null;
  const ids = arrayJobIds(submissions);
  const config = await clusterConfig();
  const live = await liveTasks(ids);
  const ended = await endedTasks(ids, config);
  return { submissions, config, live, ended };
}

export interface Collection {
  shards: ShardReport[];
  deadTaskRows: number;
  /** Trials whose task is pending or running. */
  inFlight: TrialKey[];
  batchStatus: string | null;
}

function readLog(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Rows for tasks that ended in a death state and published no shard. */
export function deadTaskRows(view: SlurmView, published: { submission: number; index: number; jobId: string }[]): RunRow[] {
  const rows: RunRow[] = [];
  for (const rec of view.ended.values()) {
    const at = trialOfRecord(view.submissions, rec);
    if (!at) continue;
    const hasShard = published.some((s) => s.submission === at.m.submission && s.index === at.trial.index && s.jobId === rec.jobId);
    if (hasShard) continue;
    const row = deadTaskRow(at.m, at.trial, rec, readLog(taskLogPath(at.m.batchDir, at.m.submission, rec.arrayJobId, rec.taskId!)));
    if (row) rows.push(row);
  }
  return rows;
}

/** Slurm's final state of each task, onto the rows its shard brought (a task cannot know its own end). */
function recordSlurmStates(db: Db, view: SlurmView): void {
  const update = db.prepare(
    `UPDATE runs SET slurm_state = @state, slurm_exit_code = @exitCode
     WHERE slurm_array_job_id = @arrayJobId AND slurm_array_task_id = @taskId AND slurm_job_id = @jobId AND slurm_state IS NULL`,
  );
  db.transaction(() => {
    for (const rec of view.ended.values()) update.run({ state: rec.state, exitCode: rec.exitCode, arrayJobId: rec.arrayJobId, taskId: rec.taskId, jobId: rec.jobId });
  })();
}

/** done: every trial of the latest matrix has a result; else interrupted (some were) or incomplete. */
function settleBatchStatus(db: Db, m: SubmissionManifest, inFlight: number): string | null {
  if (!db.prepare('SELECT 1 FROM batches WHERE id = ?').get(m.batch.id)) return null;
  if (inFlight > 0) return 'running';
  const rows = batchTrials(db, m.batch.id);
  const finished = new Set(rows.filter((r) => FINISHED_STATUSES.includes(r.status)).map(keyOf));
  const status = m.trials.every((t) => finished.has(keyOf(t))) ? 'done' : rows.some((r) => r.status === 'interrupted') ? 'interrupted' : 'incomplete';
  endBatch(db, m.batch.id, status);
  return status;
}

export async function collectBatch(db: Db, batchDir: string): Promise<Collection> {
  const published = publishedShards(batchDir);
  const shards = mergeShards(db, published.map((s) => s.file));
  const view = await viewBatch(batchDir);
  if (!view) return { shards, deadTaskRows: 0, inFlight: [], batchStatus: null };
  recordSlurmStates(db, view);
  const added = insertDeadTaskRows(db, deadTaskRows(view, published.map((s) => s.name)));
  const inFlight = view.live.flatMap((rec) => {
    const at = trialOfRecord(view.submissions, rec);
    return at ? [at.trial] : [];
  });
  const latest = view.submissions[view.submissions.length - 1];
  return { shards, deadTaskRows: added, inFlight, batchStatus: settleBatchStatus(db, latest, inFlight.length) };
}
