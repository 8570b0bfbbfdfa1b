// A task that died before publishing its shard (its runner went over --mem, the node failed, the time limit or
// a scancel hit before agentpod could record the trial) leaves only Slurm's record of it. The merge turns that
// record into the trial's row, so the batch shows what happened and a rerun knows which trials have a result.
import type { Db } from '../db/open.js';
import { swebenchImageFor } from '../swebench/image-name.js';
import { taskLogPath, type ManifestTrial, type SubmissionManifest } from './manifest.js';
import { parseExitCode, stepStateFromSrun, type TaskRecord } from './parse.js';
import { deadTaskStatus } from './states.js';

/** Stable for the task, so merging its record twice adds one row: the cluster's own job id and restart count. */
export const deadTaskRunId = (cluster: string | null, rec: TaskRecord) => `slurm-${cluster ?? 'cluster'}-${rec.jobId}-r${rec.restarts ?? 0}`;

export type RunRow = Record<string, string | number | null>;

/**
 * The runs row of a dead task, or null when its state is not a death (COMPLETED, or never started). `taskLog` is
 * the task's Slurm log: srun writes there when agentpod's own step was OOM-killed (the job itself then ends
 * FAILED, not OUT_OF_MEMORY, as the batch shell survives it).
 */
export function deadTaskRow(m: SubmissionManifest, trial: ManifestTrial, rec: TaskRecord, taskLog: string | null = null): RunRow | null {
  const runnerStep = taskLog === null ? null : stepStateFromSrun(taskLog);
  // FAILED says only that the batch shell exited non-zero; srun says why agentpod's step ended. Killed by a signal,
  // the trial is run again, as a local trial whose agentpod was killed.
  const status = rec.state !== 'FAILED' ? deadTaskStatus(rec.state) : runnerStep === 'OUT_OF_MEMORY' ? 'oom' : runnerStep === 'KILLED' ? 'interrupted' : 'failed';
  // A task cancelled while pending has a StartTime (the cancel's) but never had a node.
  if (status === null || rec.taskId === null || rec.startedAt === null || rec.node === null) return null;
  const profile = m.profiles.find((p) => p.name === trial.profile);
  const task = m.tasks.find((t) => t.instanceId === trial.instanceId);
  const resources = m.resources.find((r) => r.profile === trial.profile);
  const exit = parseExitCode(rec.exitCode);
  const image = task ? (task.image ?? swebenchImageFor(task.instanceId)) : '';
  const id = deadTaskRunId(m.cluster.name, rec);
  const log = taskLogPath(m.batchDir, m.submission, rec.arrayJobId, rec.taskId);
  return {
    id,
    status,
    exit_code: exit && exit.signal === 0 ? exit.code : null,
    signal: exit && exit.signal > 0 ? `signal ${exit.signal}` : null,
    timed_out: status === 'timeout' ? 1 : 0,
    started_at: rec.startedAt,
    finished_at: rec.endedAt,
    duration_ms: rec.endedAt === null ? null : rec.endedAt - rec.startedAt,
    image,
    profile: trial.profile,
    memory_limit_bytes: profile?.memoryBytes ?? null,
    memory_swap_limit_bytes: profile?.memorySwapBytes ?? null,
    cpus: profile?.cpus ?? null,
    pids_limit: profile?.pidsLimit ?? null,
    timeout_ms: profile?.timeoutMs ?? null,
    model: m.launch.model ?? profile?.model ?? null,
    workdir: '/testbed',
    share_mode: m.launch.shareMode,
    runtime: m.launch.runtime ?? null,
    session_id: id,
    container_name: '',
    run_dir: log,
    prompt_bytes: 0,
    prompt_sha256: '',
    owner_pid: 0,
    owner_host: rec.node ?? '',
    error: `the Slurm task ended ${rec.state} (exit ${rec.exitCode ?? '?'})${runnerStep === 'OUT_OF_MEMORY' ? ", agentpod's own step over its --mem," : runnerStep === 'KILLED' ? ', agentpod killed by a signal,' : ''} before agentpod recorded the trial; Slurm's log: ${log}`,
    batch_id: m.batch.id,
    instance_id: trial.instanceId,
    trial_index: trial.trialIndex,
    source_image: image || null,
    slurm_cluster: m.cluster.name,
    slurm_job_id: rec.jobId,
    slurm_array_job_id: rec.arrayJobId,
    slurm_array_task_id: rec.taskId,
    slurm_restarts: rec.restarts ?? 0,
    slurm_submission: m.submission,
    slurm_node: rec.node,
    slurm_state: rec.state,
    slurm_exit_code: rec.exitCode,
    slurm_step_state: runnerStep,
    slurm_cpus: resources?.cpusPerTask ?? null,
    slurm_mem_mib: resources?.jobMemMiB ?? null,
  };
}

/** Inserts the rows; a row already there (an earlier merge) stays as it is. Returns how many were added. */
export function insertDeadTaskRows(db: Db, rows: RunRow[]): number {
  let added = 0;
  db.transaction(() => {
    for (const row of rows) {
      const keys = Object.keys(row);
      added += db.prepare(`INSERT OR IGNORE INTO runs (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row).changes;
    }
  })();
  return added;
}
