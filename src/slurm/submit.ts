// Submitting a batch pass to Slurm: freeze the matrix into a manifest in the batch folder, write one sbatch
// script per job array (a profile, and a block of MaxArraySize indices) and the merge job's, submit them, and
// record the job ids in the manifest and the database.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { keyOf } from '../batch/matrix.js';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { findOnPath } from '../run/resolve.js';
import { PASSTHROUGH_ENV, SECRET_ENV } from '../launch-spec.js';
import type { BatchPass, SlurmPassOutcome } from '../engines/engine.js';
import { batchPaths, logsDir, readSubmissions, submissionDir, writeManifest, MANIFEST_VERSION, type SbatchChoices, type SubmissionManifest } from './manifest.js';
import { parseSbatchParsable } from './parse.js';
import { clusterConfig, slurmTool, type ClusterConfig } from './query.js';
import { arrayOptions, arrayScript, checkPlain, formatIndexList, mergeOptions, mergeScript, orderTrials, planArrays, sbatchArgv, taskResources } from './sbatch.js';

export interface SubmitOptions extends SbatchChoices {
  batchDir: string;
  dryRun: boolean;
  log: (line: string) => void;
}

/** The environment a task gets, by name: what agentpod and the agent need; never a secret. */
const JOB_ENV = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', ...PASSTHROUGH_ENV];

export function jobEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || SECRET_ENV.includes(key)) continue;
    if (JOB_ENV.includes(key) || (key.startsWith('AGENTPOD_') && key !== 'AGENTPOD_DATA_DIR')) out[key] = value;
  }
  return out;
}

/** The secrets to pass, written to a file only the user can read; null when there are none. */
function writeSecrets(batchDir: string, env: NodeJS.ProcessEnv): string | null {
  const secrets = Object.fromEntries(SECRET_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
  if (Object.keys(secrets).length === 0) return null;
  const file = batchPaths(batchDir).secrets;
  writeFileSync(file, `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

function agentpodVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The manifest of the next submission, with its arrays planned (scripts named, nothing written yet). */
export function planSubmission(pass: BatchPass, opts: SubmitOptions, cluster: Pick<ClusterConfig, 'name' | 'maxArraySize'>, base: { submission: number; version: string; env: Record<string, string>; secretsFile: string | null; now: Date }): SubmissionManifest {
  checkPlain(opts.batchDir, '--batch-dir');
  if (opts.partition) checkPlain(opts.partition, '--partition');
  if (opts.account) checkPlain(opts.account, '--account');
  const trials = orderTrials(pass.matrix, pass.profiles.map((p) => p.name));
  const wanted = new Set(pass.toRun.map(keyOf));
  const indices = trials.filter((t) => wanted.has(keyOf(t))).map((t) => t.index);
  const dir = submissionDir(opts.batchDir, base.submission);
  const m: SubmissionManifest = {
    version: MANIFEST_VERSION,
    batch: { id: pass.batch.id, name: pass.batch.name, tasksFile: pass.batch.tasksFile, tasksSha256: pass.batch.tasksSha256, profiles: pass.batch.profiles, repeat: pass.batch.repeat },
    submission: base.submission,
    createdAt: base.now.toISOString(),
    batchDir: opts.batchDir,
    dataDir: pass.dataDir,
    dbPath: pass.dbPath,
    agentpod: { version: base.version, node: process.execPath, cli: join(packageRoot, 'dist', 'cli.js'), srun: findOnPath('srun') ?? 'srun' },
    tasks: pass.tasks.filter((t) => trials.some((x) => x.instanceId === t.instanceId)),
    profiles: pass.profiles,
    template: pass.template,
    launch: pass.launch,
    grading: pass.grading,
    trials,
    resources: pass.profiles.map((p) => taskResources(p, undefined, pass.grading?.evalProfile ?? null)),
    sbatch: { partition: opts.partition, account: opts.account, maxRunning: opts.maxRunning, extraArgs: opts.extraArgs },
    env: base.env,
    secretsFile: base.secretsFile,
    cluster: { name: cluster.name, maxArraySize: cluster.maxArraySize },
    arrays: [],
    merge: { script: join(dir, 'merge.sbatch'), jobId: null },
  };
  m.arrays = planArrays(trials, indices, cluster.maxArraySize).map((a) => ({ ...a, script: join(dir, `${a.profile.replace(/[^\w.-]/g, '_')}-${a.offset}.sbatch`), jobId: null }));
  return m;
}

async function sbatch(argv: string[]): Promise<string> {
  const [tool, ...args] = argv;
  const r = await slurmTool(tool, args);
  if (r.exitCode !== 0) throw new UserError(`sbatch failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' | ') || 'no output'}`);
  return parseSbatchParsable(r.stdout);
}

function recordArrays(db: Db, m: SubmissionManifest, now: number): void {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO slurm_arrays (array_job_id, cluster, batch_id, submission, profile, index_offset, indices, merge_job_id, batch_dir, submitted_at)
     VALUES (@jobId, @cluster, @batchId, @submission, @profile, @offset, @indices, @mergeJobId, @batchDir, @now)`,
  );
  db.transaction(() => {
    for (const a of m.arrays) {
      if (!a.jobId) continue;
      insert.run({ jobId: a.jobId, cluster: m.cluster.name ?? '', batchId: m.batch.id, submission: m.submission, profile: a.profile, offset: a.offset, indices: formatIndexList(a.indices), mergeJobId: m.merge.jobId, batchDir: m.batchDir, now });
    }
  })();
}

const outcomeOf = (m: SubmissionManifest, status: SlurmPassOutcome['status'], commands: string[][], scripts: Record<string, string>): SlurmPassOutcome => ({
  engine: 'slurm',
  status,
  batchDir: m.batchDir,
  submission: m.submission,
  arrays: m.arrays.map((a) => ({ profile: a.profile, jobId: a.jobId ?? '', array: arrayOptions(m, a).find((o) => o.startsWith('--array='))!.slice('--array='.length), tasks: a.indices.length })),
  mergeJobId: m.merge.jobId,
  commands,
  scripts,
});

export async function submitPass(pass: BatchPass, opts: SubmitOptions, env: NodeJS.ProcessEnv = process.env): Promise<SlurmPassOutcome> {
  let cluster: Pick<ClusterConfig, 'name' | 'maxArraySize'>;
  try {
    cluster = await clusterConfig();
  } catch (e) {
    if (!opts.dryRun) throw e;
    opts.log(`cannot ask the cluster (${(e as Error).message.split('\n')[0]}); the dry run assumes Slurm's default MaxArraySize 1001`);
    cluster = { name: null, maxArraySize: 1001 };
  }
  const previous = readSubmissions(opts.batchDir);
  const submission = (previous.at(-1)?.submission ?? 0) + 1;
  const secretsPreview = SECRET_ENV.some((k) => env[k] !== undefined) ? batchPaths(opts.batchDir).secrets : null;
  const m = planSubmission(pass, opts, cluster, { submission, version: agentpodVersion(), env: jobEnvironment(env), secretsFile: secretsPreview, now: new Date() });
  const manifestFile = join(submissionDir(opts.batchDir, submission), 'manifest.json');
  const placeholderIds = m.arrays.map((_, i) => `<array ${i + 1} job id>`);
  const scripts: Record<string, string> = Object.fromEntries(m.arrays.map((a) => [a.script, arrayScript(m, a, manifestFile)]));
  const commands = m.arrays.map((a) => sbatchArgv(arrayOptions(m, a), a.script));
  if (m.arrays.length === 0) return outcomeOf(m, 'nothing-to-submit', [], {});
  if (opts.dryRun) {
    scripts[m.merge.script] = mergeScript(m, placeholderIds);
    return outcomeOf(m, 'dry-run', [...commands, sbatchArgv(mergeOptions(m, placeholderIds), m.merge.script)], scripts);
  }

  for (const dir of [submissionDir(opts.batchDir, submission), logsDir(opts.batchDir, submission), batchPaths(opts.batchDir).shards]) mkdirSync(dir, { recursive: true });
  m.secretsFile = writeSecrets(opts.batchDir, env);
  writeManifest(m);
  for (const [file, text] of Object.entries(scripts)) writeFileSync(file, text, { mode: 0o755 });
  const submitted: string[] = [];
  try {
    for (const a of m.arrays) {
      a.jobId = await sbatch(sbatchArgv(arrayOptions(m, a), a.script));
      submitted.push(a.jobId);
      writeManifest(m);
      opts.log(`submitted array ${a.jobId} (profile ${a.profile}, ${a.indices.length} trial(s))`);
    }
  } catch (e) {
    // All or nothing: the arrays submitted so far are cancelled (a task that already started keeps its result).
    if (submitted.length) await slurmTool('scancel', submitted);
    for (const a of m.arrays) a.jobId = null;
    writeManifest(m);
    throw new UserError(`${(e as Error).message}${submitted.length ? `; cancelled the array(s) already submitted: ${submitted.join(', ')}` : ''}`);
  }
  writeFileSync(m.merge.script, mergeScript(m, submitted), { mode: 0o755 });
  const mergeArgv = sbatchArgv(mergeOptions(m, submitted), m.merge.script);
  try {
    m.merge.jobId = await sbatch(mergeArgv);
  } catch (e) {
    opts.log(`could not submit the merge job (${(e as Error).message}); merge by hand when the arrays are done: agentpod merge --batch-dir ${m.batchDir}`);
  }
  writeManifest(m);
  recordArrays(pass.db, m, Date.now());
  return outcomeOf(m, 'submitted', [...commands, mergeArgv], { ...scripts, [m.merge.script]: mergeScript(m, submitted) });
}

