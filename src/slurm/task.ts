// `agentpod slurm-task`: one array task = one trial. It finds its trial in the manifest, sets up rootless
// podman for a batch job, sweeps what dead tasks left on this node, runs the trial through the same executor as
// a local batch (with podman's client in a step that has the profile's limits), writes its rows into a shard on
// node-local disk and publishes the shard into the batch folder as its last act.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { executeTrial, fixCache, type TrialContext } from '../batch/execute-trial.js';
import { planGrading } from '../grading/grade-run.js';
import { trialLabel } from '../batch/matrix.js';
import { UserError } from '../errors.js';
import type { RunStatus } from '../run/record.js';
import { isAgentpodAlive, sweepLeftovers } from '../run/sweep.js';
import { SECRET_ENV } from '../launch-spec.js';
import type { FixResult } from '../swebench/fix.js';
import { taskImage } from '../swebench/trial.js';
import { readManifest, trialOfTask, type SubmissionManifest, type TaskResources } from './manifest.js';
import { stepStateFromSrun } from './parse.js';
import { nodeDirFor, setUpPodman } from './podman-env.js';
import { runnerStepPeakBytes, withNodeLock } from './node.js';
import { containerStepArgv, RUNNER_ALLOWANCE_MIB } from './sbatch.js';
import { finishShard, openShard, publishShard, sweepLocalShards } from './shard.js';

export interface TaskRequest {
  manifestFile: string;
  offset: number;
  /** Only clean up what dead tasks left on this node (the batch script runs this after a killed task). */
  sweepOnly: boolean;
  signal: AbortSignal;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface TaskOutcome {
  /** The trial's status; 'error' when it could not be launched (image fix, prompt): no run row. */
  status: Exclude<RunStatus, 'running'> | 'error';
  runId: string | null;
  shard: string | null;
  error: string | null;
}

/** The manifest's environment and the secrets file, into this process (podman and srun inherit them). */
export function applyJobEnvironment(m: SubmissionManifest, env: NodeJS.ProcessEnv): void {
  for (const [key, value] of Object.entries(m.env)) env[key] = value;
  if (!m.secretsFile) return;
  let st;
  try {
    st = statSync(m.secretsFile);
  } catch (e) {
    throw new UserError(`cannot read the batch's secrets file ${m.secretsFile}: ${(e as NodeJS.ErrnoException).code}`);
  }
  if (st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) throw new UserError(`${m.secretsFile} must belong to this user and be readable by it only (chmod 600)`);
  const secrets = JSON.parse(readFileSync(m.secretsFile, 'utf8')) as Record<string, string>;
  for (const [key, value] of Object.entries(secrets)) if (SECRET_ENV.includes(key)) env[key] = value;
}

const resourcesFor = (m: SubmissionManifest, profile: string): TaskResources => {
  const r = m.resources.find((x) => x.profile === profile);
  if (!r) throw new UserError(`the manifest has no resources for profile ${profile}`);
  return r;
};

/** The Slurm side of the run rows: which task ran them, where, with what it was granted. */
function recordSlurmColumns(shardDb: import('../db/open.js').Db, m: SubmissionManifest, r: TaskResources, env: NodeJS.ProcessEnv): void {
  const runs = shardDb.prepare('SELECT id, run_dir AS runDir FROM runs').all() as { id: string; runDir: string }[];
  const update = shardDb.prepare(
    `UPDATE runs SET slurm_cluster = @cluster, slurm_job_id = @jobId, slurm_array_job_id = @arrayJobId, slurm_array_task_id = @taskId,
       slurm_restarts = @restarts, slurm_submission = @submission, slurm_node = @node, slurm_cpus = @cpus, slurm_mem_mib = @mem,
       slurm_step_state = @stepState WHERE id = @id`,
  );
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  for (const run of runs) {
    const stderrLog = join(run.runDir, 'stderr.log');
    update.run({
      id: run.id,
      cluster: env.SLURM_CLUSTER_NAME ?? m.cluster.name,
      jobId: env.SLURM_JOB_ID ?? null,
      arrayJobId: env.SLURM_ARRAY_JOB_ID ?? null,
      taskId: num(env.SLURM_ARRAY_TASK_ID),
      restarts: num(env.SLURM_RESTART_COUNT) ?? 0,
      submission: m.submission,
      node: env.SLURMD_NODENAME ?? null,
      cpus: num(env.SLURM_CPUS_PER_TASK) ?? r.cpusPerTask,
      mem: num(env.SLURM_MEM_PER_NODE) ?? r.jobMemMiB,
      stepState: existsSync(stderrLog) ? stepStateFromSrun(readFileSync(stderrLog, 'utf8')) : null,
    });
  }
}

export async function runSlurmTask(req: TaskRequest): Promise<TaskOutcome> {
  const env = req.env ?? process.env;
  const log = req.log;
  const m = readManifest(req.manifestFile);
  const uid = process.getuid!();
  const gid = process.getgid!();
  applyJobEnvironment(m, env);
  const setup = await setUpPodman(uid, env);
  for (const note of setup.notes) log(`podman: ${note}`);
  const nodeDir = nodeDirFor(uid, env);
  const shardsDir = join(nodeDir, 'shards');
  const swept = sweepLocalShards(shardsDir, isAgentpodAlive);
  if (swept.length) log(`removed ${swept.length} unpublished shard(s) of dead tasks on this node`);
  if (req.sweepOnly) {
    const removed = await sweepLeftovers(null);
    log(removed.length ? `removed ${removed.length} container(s) left by dead agentpod processes: ${removed.join(', ')}` : 'no leftover container on this node');
    return { status: 'error', runId: null, shard: null, error: null };
  }

  const taskIdText = env.SLURM_ARRAY_TASK_ID;
  if (taskIdText === undefined || !/^\d+$/.test(taskIdText)) throw new UserError('SLURM_ARRAY_TASK_ID is not set: agentpod slurm-task runs inside a Slurm array task (submitted by agentpod batch --slurm)', 2);
  const trial = trialOfTask(m, req.offset, Number(taskIdText));
  const task = m.tasks.find((t) => t.instanceId === trial.instanceId);
  const profile = m.profiles.find((p) => p.name === trial.profile);
  if (!task || !profile) throw new UserError(`the manifest lacks the task or profile of trial ${trial.index}`);
  const resources = resourcesFor(m, profile.name);
  const label = trialLabel(trial);
  log(`trial ${trial.index} of submission ${m.submission}: ${label} (job ${env.SLURM_ARRAY_JOB_ID}_${taskIdText}, node ${env.SLURMD_NODENAME ?? '?'})`);

  const startedAt = Date.now();
  const shard = openShard(shardsDir, { submission: m.submission, index: trial.index, jobId: env.SLURM_JOB_ID ?? taskIdText, restarts: Number(env.SLURM_RESTART_COUNT ?? 0) }, m.batch);
  const ctx: TrialContext = {
    db: shard.db,
    dataDir: m.dataDir,
    template: m.template,
    launch: m.launch,
    // The grading container, like the agent's, runs in a step of its own (the runner's step is too small for it).
    grading: m.grading && { ...m.grading, clientPrefix: (name) => containerStepArgv(resources, name.replace(/^agentpod-/, ''), m.agentpod.srun, resources.evalStepMemMiB) },
    uid,
    gid,
    signal: req.signal,
    log,
    clientPrefix: (spec) => containerStepArgv(resources, spec.runId, m.agentpod.srun),
  };
  const fixOnce = fixCache(ctx);
  const fix = (image: string): Promise<FixResult> => withNodeLock(nodeDir, image, req.signal, () => fixOnce(image));
  let outcome: TaskOutcome;
  try {
    const grading = m.grading ? planGrading(task, m.grading) : null;
    const run = await executeTrial(ctx, { task, image: taskImage(task, log), profile, fix, batch: { id: m.batch.id, trialIndex: trial.trialIndex }, grading, log });
    outcome = { status: run.status, runId: run.runId, shard: null, error: run.error };
    const verdict = run.evaluation ? `; ${run.evaluation.status}${run.evaluation.resolution ? ` (${run.evaluation.resolution})` : ''}` : run.gradingError ? `; ${run.gradingError}` : '';
    log(`${label}: ${run.status} in ${(run.durationMs / 1000).toFixed(1)} s (run ${run.runId}${run.patch ? `, patch ${run.patch.bytes} B in ${run.patch.files} file(s)` : ''})${verdict}${run.error ? `; ${run.error}` : ''}`);
  } catch (e) {
    outcome = { status: req.signal.aborted ? 'interrupted' : 'error', runId: null, shard: null, error: (e as Error).message };
    log(`${label}: ${outcome.status}: ${outcome.error}`);
  }
  recordSlurmColumns(shard.db, m, resources, env);
  const peak = runnerStepPeakBytes();
  if (peak !== null) log(`agentpod's step peaked at ${(peak / 2 ** 20).toFixed(0)} MiB of memory (runner allowance ${RUNNER_ALLOWANCE_MIB} MiB)`);
  finishShard(shard, { batchId: m.batch.id, instanceId: trial.instanceId, profile: trial.profile, trialIndex: trial.trialIndex, node: env.SLURMD_NODENAME ?? null, startedAt, error: outcome.runId ? null : outcome.error });
  outcome.shard = publishShard(shard, m.batchDir);
  log(`published ${outcome.shard}`);
  return outcome;
}
