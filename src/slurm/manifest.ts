// The frozen matrix of one Slurm submission, kept in the batch folder on the shared filesystem: everything an
// array task needs to run its trial exactly as the submitting command would have (tasks, profiles, template,
// launch settings, environment), where its results go, and the Slurm job ids once submitted.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { TrialKey } from '../batch/matrix.js';
import type { GradingOptions } from '../grading/grade-run.js';
import type { Profile } from '../profiles.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import type { TrialLaunch } from '../swebench/trial.js';

export const MANIFEST_VERSION = 1;

/** What a profile asks of Slurm for each of its tasks. */
export interface TaskResources {
  profile: string;
  /** The task's --mem: the profile's memory plus the runner allowance (MiB); null: the profile sets no memory limit. */
  jobMemMiB: number | null;
  /** The container step's --mem: the profile's own memory (MiB), enforced by the step's cgroup. */
  stepMemMiB: number | null;
  /** --cpus-per-task: the profile's CPUs rounded up (Slurm gives whole CPUs); null: the partition's default. */
  cpusPerTask: number | null;
  /** The profile's CPUs as asked (may be fractional), recorded next to what was granted. */
  cpusRequested: number | null;
  /** --time in minutes: the profile's timeout (and the grading's) plus the margin; null: the partition's limit. */
  timeMinutes: number | null;
  /**
   * The grading container's step --mem: the evaluation profile's memory when it sets one (the task's --mem grows to
   * hold it), else the task's allocation less the runner allowance; null: no grading, or no memory limit at all.
   */
  evalStepMemMiB: number | null;
}

/** One job array: the trials of one profile whose indices fall in [offset, offset + MaxArraySize). */
export interface ArraySpec {
  profile: string;
  /** Array task id = trial index - offset (task ids must stay below the cluster's MaxArraySize). */
  offset: number;
  /** Trial indices this array runs (a rerun's are sparse). */
  indices: number[];
  /** The sbatch script, kept in the submission folder. */
  script: string;
  jobId: string | null;
}

export interface SbatchChoices {
  partition: string | null;
  account: string | null;
  /** The `%M` throttle of each array; null: no throttle. */
  maxRunning: number | null;
  /** Passed to sbatch as they are (after agentpod's own options, so they win). */
  extraArgs: string[];
}

export interface ManifestTrial extends TrialKey {
  /** Stable within the submission: profile by profile, then the batch matrix's order. */
  index: number;
}

/** The batches row a shard carries, so its runs rows keep their foreign key. */
export interface ManifestBatchRow {
  id: string;
  name: string;
  tasksFile: string;
  tasksSha256: string;
  profiles: string[];
  repeat: number;
}

export interface SubmissionManifest {
  version: typeof MANIFEST_VERSION;
  batch: ManifestBatchRow;
  submission: number;
  createdAt: string;
  /** The batch folder (shared filesystem): submissions, shards, logs. */
  batchDir: string;
  /** Run folders go here, as in a local batch. */
  dataDir: string;
  /** The database the merge job merges into: the one the batch was submitted from. */
  dbPath: string;
  /** Absolute paths of what a task runs, found on the submitting host: the job's PATH may not have them. */
  agentpod: { version: string; node: string; cli: string; srun: string };
  tasks: SwebenchTask[];
  profiles: Profile[];
  template: PromptTemplate;
  launch: TrialLaunch;
  /** How each task grades its trial; null: --no-grade. */
  grading: GradingOptions | null;
  trials: ManifestTrial[];
  resources: TaskResources[];
  sbatch: SbatchChoices;
  /** The environment a task runs with (no secret is ever here: those are in secretsFile). */
  env: Record<string, string>;
  /** A JSON object of secret variables, mode 0600, read by the task; null when there were none to pass. */
  secretsFile: string | null;
  cluster: { name: string | null; maxArraySize: number };
  arrays: ArraySpec[];
  merge: { script: string; jobId: string | null };
}

/** The batch folder's layout. */
export const batchPaths = (batchDir: string) => ({
  submissions: join(batchDir, 'submissions'),
  shards: join(batchDir, 'shards'),
  secrets: join(batchDir, 'secrets.json'),
});

export const submissionDir = (batchDir: string, submission: number) => join(batchPaths(batchDir).submissions, String(submission).padStart(3, '0'));
export const manifestPath = (batchDir: string, submission: number) => join(submissionDir(batchDir, submission), 'manifest.json');
export const logsDir = (batchDir: string, submission: number) => join(submissionDir(batchDir, submission), 'logs');

/** The log of one array task, as sbatch's --output pattern %A_%a names it. */
export const taskLogPath = (batchDir: string, submission: number, arrayJobId: string, taskId: number) =>
  join(logsDir(batchDir, submission), `${arrayJobId}_${taskId}.out`);

/** Written whole, then renamed over the old one: a reader never sees half a manifest. */
export function writeManifest(m: SubmissionManifest): string {
  const file = manifestPath(m.batchDir, m.submission);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(partial, file);
  return file;
}

export function readManifest(file: string): SubmissionManifest {
  let m: SubmissionManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as SubmissionManifest;
  } catch (e) {
    throw new UserError(`cannot read the batch manifest ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (m.version !== MANIFEST_VERSION) throw new UserError(`${file}: manifest version ${m.version}, this agentpod reads version ${MANIFEST_VERSION}`);
  return m;
}

/** Every submission of a batch folder, oldest first; none when the folder has none. */
export function readSubmissions(batchDir: string): SubmissionManifest[] {
  let names: string[];
  try {
    names = readdirSync(batchPaths(batchDir).submissions);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .sort()
    .map((n) => readManifest(manifestPath(batchDir, Number(n))));
}

/** The trial an array task runs: trial index = offset + SLURM_ARRAY_TASK_ID. */
export function trialOfTask(m: SubmissionManifest, offset: number, taskId: number): ManifestTrial {
  const index = offset + taskId;
  const trial = m.trials[index];
  if (!trial || trial.index !== index) throw new UserError(`submission ${m.submission} of batch ${m.batch.id} has no trial ${index} (offset ${offset} + array task ${taskId})`);
  return trial;
}
