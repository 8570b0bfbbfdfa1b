// The sbatch and srun command lines and the batch scripts: pure functions of the submission manifest, so every
// option is unit-tested without Slurm (docs/slurm.md explains each choice).
import { formatCommand } from '../podman/argv.js';
import type { Profile } from '../profiles.js';
import { ConfigError } from '../errors.js';
import { logsDir, type ArraySpec, type ManifestTrial, type SubmissionManifest, type TaskResources } from './manifest.js';

const MiB = 1024 * 1024;

/**
 * Memory a task needs besides the container: agentpod's node process (sampler, live trace ingest, SQLite), the
 * permission fix (a root helper container and `podman commit`) and the patch capture (`podman mount`, git), podman's
 * client and conmon, and the batch shell. Measured on the 2-core test machine (29 tasks of the Slurm tests): the
 * runner step's peak (memory.max_usage_in_bytes) over a trial of the test image was 67-76 MiB, 68-84 MiB with a
 * permission fix (docs/slurm.md); the allowance leaves room for a large repository's fix and patch.
 */
export const RUNNER_ALLOWANCE_MIB = 512;

/** The runner step's own --mem: the allowance less what the batch shell that waits for it may keep. */
export const RUNNER_STEP_MIB = RUNNER_ALLOWANCE_MIB - 32;

/** --time beyond the profile's timeout: an image pull and a permission fix can take minutes before the agent starts. */
export const TIME_MARGIN_MINUTES = 20;

/** The merge job's own request: one shard at a time, so little memory; an hour covers ~100k shards (bench: merge). */
export const MERGE_JOB = { memMiB: 1024, cpus: 1, timeMinutes: 60 };

export function taskResources(p: Profile, allowanceMiB = RUNNER_ALLOWANCE_MIB, evalProfile: Profile | null = null): TaskResources {
  // Rounded down: the step never gets more than the profile asks (Slurm counts whole MiB).
  const mib = (bytes: number | null) => (bytes === null ? null : Math.max(1, Math.floor(bytes / MiB)));
  const stepMemMiB = mib(p.memoryBytes);
  const evalMemMiB = evalProfile ? mib(evalProfile.memoryBytes) : null;
  // The grading runs after the agent, in the same task: the task holds the larger of the two.
  const jobMemMiB = stepMemMiB === null ? null : Math.max(stepMemMiB, evalMemMiB ?? 0) + allowanceMiB;
  const minutes = (ms: number | null) => (ms === null ? null : Math.ceil(ms / 60_000));
  const agentMinutes = minutes(p.timeoutMs);
  const evalMinutes = evalProfile ? minutes(evalProfile.timeoutMs) : 0;
  return {
    profile: p.name,
    jobMemMiB,
    stepMemMiB,
    cpusPerTask: p.cpus === null ? null : Math.max(1, Math.ceil(p.cpus - 1e-9)),
    cpusRequested: p.cpus,
    timeMinutes: agentMinutes === null || evalMinutes === null ? null : agentMinutes + evalMinutes + TIME_MARGIN_MINUTES,
    evalStepMemMiB: evalProfile ? (evalMemMiB ?? (jobMemMiB === null ? null : jobMemMiB - allowanceMiB)) : null,
  };
}

/** Sorted, deduplicated indices as Slurm's compact list: 0-3,5,7-9. */
export function formatIndexList(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The inverse of formatIndexList (also Slurm's own "1-3,7" and a trailing "%M" throttle). */
export function parseIndexList(text: string): number[] {
  const list = text.replace(/%\d+$/, '');
  if (list === '') return [];
  return list.split(',').flatMap((part) => {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not an array index list: ${text}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    return Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);
  });
}

/**
 * Trials in submission order: profile by profile (one array each), and within a profile the batch matrix's
 * order (one instance's trials together, so its permission fix is reused). Indices are positions in that order.
 */
export function orderTrials(matrixOrder: { instanceId: string; profile: string; trialIndex: number }[], profiles: string[]): ManifestTrial[] {
  return profiles.flatMap((p) => matrixOrder.filter((t) => t.profile === p)).map((t, index) => ({ ...t, index }));
}

/**
 * The arrays that run `indices` (trial indices to submit): one per profile and per block of MaxArraySize
 * indices, since an array task id must stay below MaxArraySize. Task id = index - offset.
 */
export function planArrays(trials: ManifestTrial[], indices: number[], maxArraySize: number): Omit<ArraySpec, 'script' | 'jobId'>[] {
  if (!Number.isInteger(maxArraySize) || maxArraySize < 1) throw new Error(`MaxArraySize must be >= 1, got ${maxArraySize}`);
  const arrays = new Map<string, Omit<ArraySpec, 'script' | 'jobId'>>();
  for (const index of [...new Set(indices)].sort((a, b) => a - b)) {
    const trial = trials[index];
    if (!trial) throw new Error(`no trial ${index}`);
    const offset = Math.floor(index / maxArraySize) * maxArraySize;
    const key = `${trial.profile}\0${offset}`;
    const array = arrays.get(key) ?? { profile: trial.profile, offset, indices: [] };
    array.indices.push(index);
    arrays.set(key, array);
  }
  return [...arrays.values()];
}

/** Names Slurm and shells take as they are: a path with blanks, quotes or % (sbatch's filename pattern) is refused. */
const PLAIN = /^[\w@+=:,./-]+$/;

export function checkPlain(value: string, what: string): string {
  if (!PLAIN.test(value)) throw new ConfigError(`${what} ${JSON.stringify(value)}: use letters, digits and @+=:,./_- only (no blanks, quotes or %): sbatch reads it in #SBATCH lines and file patterns`);
  return value;
}

const resourcesOf = (m: SubmissionManifest, profile: string): TaskResources => {
  const r = m.resources.find((x) => x.profile === profile);
  if (!r) throw new Error(`manifest has no resources for profile ${profile}`);
  return r;
};

const safeName = (s: string) => s.replace(/[^\w.-]/g, '_');

export const arrayJobName = (m: SubmissionManifest, profile: string) => `agentpod-${safeName(m.batch.id)}-${safeName(profile)}`;

function commonOptions(m: SubmissionManifest): string[] {
  return [
    ...(m.sbatch.partition ? [`--partition=${m.sbatch.partition}`] : []),
    ...(m.sbatch.account ? [`--account=${m.sbatch.account}`] : []),
    // Only SLURM_* variables: the job's environment is stored on the controller's disk, so nothing of the
    // submitting shell (tokens, keys) goes there. The task sets its environment from the manifest.
    '--export=NIL',
  ];
}

/** The options of one array's sbatch (also written as #SBATCH lines into its script, so `sbatch SCRIPT` by hand is the same). */
export function arrayOptions(m: SubmissionManifest, a: Omit<ArraySpec, 'script' | 'jobId'>): string[] {
  const r = resourcesOf(m, a.profile);
  const throttle = m.sbatch.maxRunning ? `%${m.sbatch.maxRunning}` : '';
  return [
    `--job-name=${arrayJobName(m, a.profile)}`,
    `--array=${formatIndexList(a.indices.map((i) => i - a.offset))}${throttle}`,
    '--nodes=1',
    '--ntasks=1',
    ...(r.cpusPerTask === null ? [] : [`--cpus-per-task=${r.cpusPerTask}`]),
    ...(r.jobMemMiB === null ? [] : [`--mem=${r.jobMemMiB}M`]),
    ...(r.timeMinutes === null ? [] : [`--time=${r.timeMinutes}`]),
    `--output=${logsDir(m.batchDir, m.submission)}/%A_%a.out`,
    ...commonOptions(m),
    ...m.sbatch.extraArgs,
  ];
}

export function mergeOptions(m: SubmissionManifest, arrayJobIds: string[]): string[] {
  return [
    `--job-name=agentpod-${safeName(m.batch.id)}-merge`,
    // afterany: the merge runs whatever the arrays' outcome, and records the tasks that died.
    ...(arrayJobIds.length ? [`--dependency=afterany:${arrayJobIds.join(':')}`] : []),
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${MERGE_JOB.cpus}`,
    `--mem=${MERGE_JOB.memMiB}M`,
    `--time=${MERGE_JOB.timeMinutes}`,
    `--output=${logsDir(m.batchDir, m.submission)}/merge-%j.out`,
    ...commonOptions(m),
    ...m.sbatch.extraArgs.filter((arg) => !/^--(time|mem|cpus-per-task|array)(=|$)/.test(arg)),
  ];
}

/** `sbatch --parsable OPTIONS SCRIPT`: --parsable prints "jobid[;cluster]". */
export const sbatchArgv = (options: string[], script: string) => ['sbatch', '--parsable', ...options, script];

const agentpodCommand = (m: SubmissionManifest, args: string[]) => formatCommand([m.agentpod.node, m.agentpod.cli, ...args]);

function header(m: SubmissionManifest, what: string, options: string[]): string[] {
  return [
    '#!/bin/bash',
    `# agentpod ${m.agentpod.version}: batch ${m.batch.id}, submission ${m.submission}: ${what}`,
    '# Written by `agentpod batch --slurm`, which submitted it with these options; `sbatch THIS_FILE` resubmits it as it is.',
    ...options.map((o) => `#SBATCH ${o}`),
  ];
}

/**
 * agentpod runs as a step of its own (not in the batch shell): on scancel or the time limit Slurm sends TERM to
 * every step and waits KillWait before KILL, but the batch shell gets KILL only. So agentpod hears the TERM, stops
 * its container and records the trial, and the job ends CANCELLED (or TIMEOUT) as Slurm says.
 */
export function runnerStepArgv(r: TaskResources, srun = 'srun'): string[] {
  return [srun, ...STEP_OPTIONS, '--job-name=agentpod-runner', ...(r.cpusPerTask === null ? [] : [`--cpus-per-task=${r.cpusPerTask}`]), ...(r.jobMemMiB === null ? [] : [`--mem=${RUNNER_STEP_MIB}M`])];
}

/** The script of one array: each task runs the trial at index offset + SLURM_ARRAY_TASK_ID. */
export function arrayScript(m: SubmissionManifest, a: Omit<ArraySpec, 'script' | 'jobId'>, manifestFile: string): string {
  const task = ['slurm-task', '--manifest', manifestFile, '--offset', String(a.offset)];
  const shard = `${m.batchDir}/shards/s${String(m.submission).padStart(3, '0')}-i$(printf %06d $((${a.offset} + SLURM_ARRAY_TASK_ID)))-j\${SLURM_JOB_ID}-r\${SLURM_RESTART_COUNT:-0}.db`;
  return `${[
    ...header(m, `profile ${a.profile}, one trial per array task (agentpod slurm-task --help)`, arrayOptions(m, a)),
    '',
    '# agentpod slurm-task finds its trial in the manifest (index = --offset + SLURM_ARRAY_TASK_ID), sets up rootless',
    '# podman for a batch job, runs the trial as a local batch would (the container in a step with the profile\'s',
    '# limits), publishes its SQLite shard into the batch folder and exits with the trial\'s status (0 ok, 1 failed,',
    '# 3 oom, 4 timeout, 130 interrupted, 2 not launched). It runs as a step so that scancel and the time limit reach',
    '# it with TERM (Slurm only KILLs the batch shell): it then stops its container and records the trial.',
    "trap 'true' TERM",
    `${formatCommand(runnerStepArgv(resourcesOf(m, a.profile), m.agentpod.srun))} ${agentpodCommand(m, task)}`,
    'status=$?',
    '# No shard published: agentpod was killed (e.g. its step went over --mem); remove what it left on this node.',
    `if [ ! -e "${shard}" ]; then ${agentpodCommand(m, [...task, '--sweep'])}; fi`,
    'exit "$status"',
  ].join('\n')}\n`;
}

/** The merge job's script: every shard of the batch into the database it was submitted from. */
export function mergeScript(m: SubmissionManifest, arrayJobIds: string[]): string {
  return `${[
    ...header(m, 'merge the trials\' shards into the database (runs after the arrays, whatever their outcome)', mergeOptions(m, arrayJobIds)),
    '',
    '# Idempotent: shards merged before are skipped; tasks that died before publishing get a row from Slurm\'s record.',
    `exec ${agentpodCommand(m, ['merge', '--batch-dir', m.batchDir, '--into', m.dbPath])}`,
  ].join('\n')}\n`;
}

/** Both steps share the task's CPUs (--overlap); each has its own memory limit. */
const STEP_OPTIONS = ['--overlap', '--nodes=1', '--ntasks=1', '--export=ALL', '--quiet'];

/**
 * The step the container runs in: the profile's own memory and CPUs (the task's allocation is larger by the
 * runner allowance), so the kernel enforces the profile's limit on the container. --export=ALL: the job was
 * submitted with NIL, and the step needs agentpod's environment (podman settings, secrets for `-e NAME`).
 */
export function containerStepArgv(r: TaskResources, runId: string, srun = 'srun', memMiB = r.stepMemMiB): string[] {
  return [
    srun,
    ...STEP_OPTIONS,
    `--job-name=agentpod-${runId}`,
    ...(r.cpusPerTask === null ? [] : [`--cpus-per-task=${r.cpusPerTask}`]),
    ...(memMiB === null ? [] : [`--mem=${memMiB}M`]),
  ];
}
