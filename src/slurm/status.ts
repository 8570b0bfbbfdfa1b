// `agentpod batch status ID`: per trial of the batch, pending / running / done and its result, from the
// database, the published shards not merged yet, squeue for live tasks and Slurm's record of ended ones. It
// only reads: merging is the merge job's (or `agentpod merge --batch-dir`'s).
import Database from 'better-sqlite3';
import { FINISHED_STATUSES, keyOf, trialLabel, type TrialKey } from '../batch/matrix.js';
import type { Db } from '../db/open.js';
import { formatIndexList } from './sbatch.js';
import { trialOfRecord, type SlurmView } from './collect.js';
import type { SubmissionManifest } from './manifest.js';
import type { TaskRecord } from './parse.js';
import { deadTaskStatus } from './states.js';
import type { ShardName } from './shard.js';

export type TrialState = 'pending' | 'running' | 'done' | 'ended' | 'not submitted';

export interface TrialStatus extends TrialKey {
  index: number;
  state: TrialState;
  /** The trial's runs.status when it has a row (ok, failed, oom, timeout, interrupted), else null. */
  result: string | null;
  runId: string | null;
  job: string | null;
  slurmState: string | null;
  node: string | null;
  detail: string | null;
}

export interface ResultRow extends TrialKey {
  id: string;
  status: string;
  startedAt: number;
  slurmState: string | null;
  slurmNode: string | null;
  error: string | null;
}

/** Rows of the batch in the database (merged) and in published shards not merged yet. */
export function resultRows(db: Db | null, batchId: string, shards: { file: string; name: ShardName }[]): ResultRow[] {
  const select = `SELECT id, instance_id AS instanceId, profile, trial_index AS trialIndex, status, started_at AS startedAt, slurm_state AS slurmState,
                    slurm_node AS slurmNode, error FROM runs WHERE batch_id = ?`;
  const rows = db ? (db.prepare(select).all(batchId) as ResultRow[]) : [];
  const known = new Set(rows.map((r) => r.id));
  for (const s of shards) {
    let shard: Database.Database | undefined;
    try {
      shard = new Database(s.file, { readonly: true, fileMustExist: true });
      for (const r of shard.prepare(select).all(batchId) as ResultRow[]) if (!known.has(r.id)) rows.push(r);
    } catch {
      /* unreadable: `agentpod merge` reports it */
    } finally {
      shard?.close();
    }
  }
  return rows;
}

const latestFirst = (a: { startedAt: number | null }, b: { startedAt: number | null }) => (b.startedAt ?? 0) - (a.startedAt ?? 0);

/** The status of every trial of the latest submission's matrix. Pure: the rows and Slurm's view come in as values. */
export function trialStatuses(view: SlurmView, rows: ResultRow[]): TrialStatus[] {
  const latest = view.submissions[view.submissions.length - 1];
  const rowsByKey = new Map<string, ResultRow[]>();
  for (const r of rows) rowsByKey.set(keyOf(r), [...(rowsByKey.get(keyOf(r)) ?? []), r].sort(latestFirst));
  const tasksByKey = new Map<string, TaskRecord[]>();
  for (const rec of [...view.live, ...view.ended.values()]) {
    const at = trialOfRecord(view.submissions, rec);
    if (at) tasksByKey.set(keyOf(at.trial), [...(tasksByKey.get(keyOf(at.trial)) ?? []), rec]);
  }
  const submitted = new Set(view.submissions.flatMap((m) => m.arrays.filter((a) => a.jobId).flatMap((a) => a.indices.map((i) => keyOf(m.trials[i])))));
  return latest.trials.map((t) => {
    const key = keyOf(t);
    const trialRows = rowsByKey.get(key) ?? [];
    const finished = trialRows.find((r) => FINISHED_STATUSES.includes(r.status));
    const live = (tasksByKey.get(key) ?? []).find((r) => r.from === 'squeue');
    const ended = (tasksByKey.get(key) ?? []).filter((r) => r.from !== 'squeue').sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))[0];
    const task = live ?? ended;
    const base = { ...t, job: task && task.taskId !== null ? `${task.arrayJobId}_${task.taskId}` : null, slurmState: task?.state ?? finished?.slurmState ?? null, node: task?.node ?? finished?.slurmNode ?? null };
    if (live) return { ...base, state: live.state === 'PENDING' ? 'pending' : 'running', result: finished?.status ?? null, runId: finished?.id ?? null, detail: live.reason && live.reason !== 'None' ? live.reason : null };
    if (finished) return { ...base, state: 'done', result: finished.status, runId: finished.id, detail: null };
    const last = trialRows[0];
    if (last || ended) {
      const died = !ended || last ? null : ended.node === null ? `${ended.state} before it started` : deadTaskStatus(ended.state) !== null ? `${ended.state} before agentpod recorded it (merge to record it)` : null;
      return { ...base, state: 'ended', result: last?.status ?? null, runId: last?.id ?? null, detail: died ?? last?.error ?? null };
    }
    return { ...base, state: submitted.has(key) ? 'ended' : 'not submitted', result: null, runId: null, detail: submitted.has(key) ? 'Slurm has no record of its task any more, and it left no result' : null };
  });
}

export interface BatchStatusReport {
  batchId: string;
  batchDir: string;
  submissions: { submission: number; createdAt: string; arrays: { profile: string; jobId: string | null; indices: string }[]; mergeJobId: string | null }[];
  counts: Record<TrialState, number> & { results: Record<string, number> };
  trials: TrialStatus[];
}

export function statusReport(batchDir: string, view: SlurmView, trials: TrialStatus[]): BatchStatusReport {
  const counts = { pending: 0, running: 0, done: 0, ended: 0, 'not submitted': 0, results: {} as Record<string, number> };
  for (const t of trials) {
    counts[t.state]++;
    if (t.state === 'done' && t.result) counts.results[t.result] = (counts.results[t.result] ?? 0) + 1;
  }
  return {
    batchId: view.submissions[0].batch.id,
    batchDir,
    submissions: view.submissions.map((m: SubmissionManifest) => ({
      submission: m.submission,
      createdAt: m.createdAt,
      arrays: m.arrays.map((a) => ({ profile: a.profile, jobId: a.jobId, indices: formatIndexList(a.indices) })),
      mergeJobId: m.merge.jobId,
    })),
    counts,
    trials,
  };
}

export function renderStatus(r: BatchStatusReport): string {
  const results = Object.entries(r.counts.results).map(([k, v]) => `${k} ${v}`).join(', ');
  const jobs = r.submissions.flatMap((s) => s.arrays.map((a) => a.jobId).filter(Boolean));
  const lines = [
    `batch ${r.batchId}: ${r.trials.length} trials: ${r.counts.done} done${results ? ` (${results})` : ''}, ${r.counts.running} running, ${r.counts.pending} pending` +
      `${r.counts.ended ? `, ${r.counts.ended} ended without a result` : ''}${r.counts['not submitted'] ? `, ${r.counts['not submitted']} not submitted` : ''}`,
    `  ${r.submissions.length} submission(s), arrays ${jobs.join(', ') || '-'}; folder ${r.batchDir}`,
  ];
  const width = Math.max(...r.trials.map((t) => trialLabel(t).length));
  for (const t of r.trials) {
    lines.push(
      `  ${trialLabel(t).padEnd(width)}  ${t.state.padEnd(13)} ${(t.result ?? '-').padEnd(11)} ${(t.job ?? '-').padEnd(10)} ${(t.slurmState ?? '-').padEnd(13)} ${t.node ?? '-'}${t.detail ? `  ${t.detail}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
