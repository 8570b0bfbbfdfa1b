import { createHash } from 'node:crypto';
import { totalmem, userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { PassOutcome } from '../engines/engine.js';
import { ConfigError } from '../errors.js';
import { openStore, resolveStore, withStoreOptions, type StoreArgs } from './common.js';
import { gradingOptionsFrom, withGradingOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, profileFromArgs, rootlessGuard, trialLaunchFrom, withLaunchOptions, type LaunchArgs } from './launch.js';

interface SlurmArgs {
  slurm: boolean;
  partition?: string;
  account?: string;
  'max-running'?: number;
  'sbatch-arg'?: string[];
  'batch-dir'?: string;
}

interface BatchArgs extends LaunchArgs, GradingArgs, SlurmArgs {
  tasks?: string;
  profiles?: string;
  repeat: number;
  parallel: number;
  name?: string;
  'prompt-template'?: string;
}

const EXIT_BY_BATCH_STATUS = { done: 0, incomplete: 1, interrupted: 130 } as const;

function positiveInt(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${flag} must be a whole number >= 1, got ${value}`);
  return value;
}

/** The batch folder of a Slurm batch: --batch-dir, else <data dir>/batches/<id> (both on the shared filesystem). */
const batchDirOf = (args: StoreArgs & { 'batch-dir'?: string }, batchId: string) => resolve(args['batch-dir'] ?? join(resolveStore(args).dataDir, 'batches', batchId));

const withBatchDir = <T>(y: Argv<T>) =>
  y.option('batch-dir', { type: 'string', describe: 'Slurm: the batch folder on the shared filesystem (default <data dir>/batches/<batch id>)' });

function printOutcome(batchId: string, outcome: PassOutcome, json: boolean, matrix: { total: number; skipped: number }): void {
  if (outcome.engine === 'local') {
    if (json) process.stdout.write(`${JSON.stringify({ batchId, status: outcome.status, ...matrix, counts: outcome.counts, verdicts: outcome.verdicts })}\n`);
    else process.stdout.write(`batch ${batchId}: ${outcome.status}; verdicts: agentpod query resolved --batch ${batchId}; runs: SELECT * FROM runs WHERE batch_id = '${batchId}'\n`);
    return;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ batchId, ...outcome })}\n`);
    return;
  }
  if (outcome.status === 'dry-run') {
    for (const argv of outcome.commands) process.stdout.write(`${argv.join(' ')}\n`);
    for (const [file, text] of Object.entries(outcome.scripts)) process.stdout.write(`\n# ${file}\n${text}`);
    return;
  }
  if (outcome.status === 'nothing-to-submit') {
    process.stdout.write(`batch ${batchId}: nothing to submit\n`);
    return;
  }
  const arrays = outcome.arrays.map((a) => `${a.jobId} (${a.profile}, ${a.tasks} trial(s): --array=${a.array})`).join(', ');
  process.stdout.write(
    [
      `batch ${batchId}: submission ${outcome.submission}: array(s) ${arrays}${outcome.mergeJobId ? `; merge job ${outcome.mergeJobId} after them` : ''}`,
      `  follow:  agentpod batch status ${batchId}    (or squeue --me)`,
      `  cancel:  agentpod batch cancel ${batchId}`,
      `  folder:  ${outcome.batchDir}`,
      '',
    ].join('\n'),
  );
}

const statusCommand: CommandModule<object, StoreArgs & { id: string; json: boolean; 'batch-dir'?: string }> = {
  command: 'status <id>',
  describe: 'A Slurm batch, trial by trial: pending, running or done, and the result',
  builder: (y) => withBatchDir(withStoreOptions(y)).positional('id', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
  handler: async (args) => {
    const { existsSync } = await import('node:fs');
    const { openDb } = await import('../db/open.js');
    const { viewBatch } = await import('../slurm/collect.js');
    const { publishedShards } = await import('../slurm/shard.js');
    const { renderStatus, resultRows, statusReport, trialStatuses } = await import('../slurm/status.js');
    const batchDir = batchDirOf(args, args.id);
    const view = await viewBatch(batchDir);
    if (!view) throw new ConfigError(`no Slurm submission of batch ${args.id} in ${batchDir} (submitted with --slurm? elsewhere: --batch-dir)`);
    const { dbPath } = resolveStore(args);
    const db = existsSync(dbPath) ? openDb(dbPath, { readonly: true }) : null;
    try {
      const report = statusReport(batchDir, view, trialStatuses(view, resultRows(db, args.id, publishedShards(batchDir))));
      process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    } finally {
      db?.close();
    }
  },
};

const cancelCommand: CommandModule<object, StoreArgs & { id: string; json: boolean; 'batch-dir'?: string }> = {
  command: 'cancel <id>',
  describe: 'Cancel a Slurm batch: running trials stop their containers and are recorded interrupted',
  builder: (y) => withBatchDir(withStoreOptions(y)).positional('id', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
  handler: async (args) => {
    const { cancelBatch } = await import('../slurm/cancel.js');
    const db = await openStore(args);
    try {
      const r = await cancelBatch(db, batchDirOf(args, args.id), (line) => process.stderr.write(`batch ${args.id}: ${line}\n`));
      const merged = r.collection.shards.filter((s) => s.status === 'merged').length;
      if (args.json) process.stdout.write(`${JSON.stringify({ batchId: args.id, ...r, collection: { ...r.collection, shards: r.collection.shards.length } })}\n`);
      else process.stdout.write(`batch ${args.id}: cancelled (${r.running} running, ${r.pending} pending); merged ${merged} shard(s), ${r.collection.deadTaskRows} task(s) recorded from Slurm; batch ${r.collection.batchStatus ?? '-'}\n`);
    } finally {
      db.close();
    }
  },
};

export const batchCommand: CommandModule<object, BatchArgs> = {
  command: 'batch',
  describe: 'Run a matrix of SWE-bench trials (instances × profiles × repeats), here or on Slurm; rerun to resume',
  builder: (y) =>
    withBatchDir(withGradingOptions(withLaunchOptions(y)))
      .command(statusCommand)
      .command(cancelCommand)
      .option('tasks', { type: 'string', describe: 'task records, JSON or JSONL (see agentpod swebench); required to run a batch' })
      .option('profiles', { type: 'string', describe: 'comma-separated profiles to cross with the tasks (default: --profile)' })
      .option('repeat', { type: 'number', default: 1, describe: 'trials per instance and profile' })
      .option('parallel', { type: 'number', default: 1, describe: 'trials running at once (local)' })
      .option('name', { type: 'string', describe: 'batch id to create or resume (default: a hash of tasks, profiles and repeat)' })
      .option('prompt-template', { type: 'string', describe: 'prompt template (default prompts/swebench.md)' })
      .option('slurm', { type: 'boolean', default: false, describe: 'submit the trials as Slurm job arrays (one task per trial) and a merge job' })
      .option('partition', { type: 'string', describe: 'Slurm: partition (sbatch --partition)' })
      .option('account', { type: 'string', describe: 'Slurm: account (sbatch --account)' })
      .option('max-running', { type: 'number', describe: 'Slurm: at most this many tasks of each array at once (%M)' })
      .option('sbatch-arg', { type: 'string', array: true, describe: 'Slurm: extra sbatch option, as written (repeatable), e.g. --sbatch-arg=--qos=long' })
      .example('$0 batch --tasks tasks.jsonl --profiles small,default --repeat 2 --parallel 2', '2 trials per instance and profile, 2 at a time')
      .example('$0 batch --tasks tasks.jsonl --dry-run', 'show which trials would run and which are done')
      .example('$0 batch --tasks tasks.jsonl --profiles small,default --slurm --partition cpu', 'one job array per profile; rerun the same command to submit only the trials without a result')
      .example('$0 batch status b1a2b3c4d5e6', 'a Slurm batch trial by trial'),
  handler: async (args) => {
    if (!args.tasks) throw new ConfigError('batch needs --tasks FILE (or: agentpod batch status ID, agentpod batch cancel ID)');
    const tasksFile = args.tasks;
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const repeat = positiveInt(args.repeat, '--repeat');
    const parallel = positiveInt(args.parallel, '--parallel');
    const maxRunning = args['max-running'] === undefined ? null : positiveInt(args['max-running'], '--max-running');
    const profileArgs = (args.profiles ?? args.profile).split(',').map((p) => p.trim()).filter(Boolean);
    if (profileArgs.length === 0) throw new ConfigError('--profiles names no profile');
    const { buildMatrix, batchIdentity, keyOf, parallelMemoryWarning, planBatch, trialLabel } = await import('../batch/matrix.js');
    const { batchTrials, beginBatch } = await import('../batch/state.js');
    const { createEngine } = await import('../engines/factory.js');
    const { loadTemplate } = await import('../swebench/prompt.js');
    const { readTasksFile } = await import('../swebench/task.js');
    const profiles = await Promise.all(profileArgs.map((profile) => profileFromArgs({ ...args, profile })));
    // Trials are keyed by the profile's name (what runs.profile records), also when it was given as a file.
    const profileNames = profiles.map((p) => p.name);
    if (new Set(profileNames).size !== profileNames.length) throw new ConfigError(`--profiles ${args.profiles}: a profile is named twice`);
    const { tasks, text } = readTasksFile(tasksFile);
    const template = loadTemplate(args['prompt-template']);
    const grading = await gradingOptionsFrom(args, args['sample-interval']);
    // Every record must be gradable before any trial runs (a bad parser name, no test command: exit 2).
    const { planGrading } = await import('../grading/grade-run.js');
    const gradingPlans = new Map(grading ? tasks.map((t) => [t.instanceId, planGrading(t, grading)]) : []);
    const tasksSha256 = createHash('sha256').update(text).digest('hex');
    const batchId = batchIdentity({ name: args.name, tasksSha256, profiles, model: args.model, repeat });
    const log = (line: string) => process.stderr.write(`batch ${batchId}: ${line}\n`);
    if (!args.slurm) {
      const warning = parallelMemoryWarning(profiles, parallel, totalmem());
      if (warning) process.stderr.write(`agentpod: warning: ${warning}\n`);
    } else if (parallel > 1) log('--parallel is the local engine\'s; on Slurm, --max-running M limits each array');
    const engine = await createEngine(
      args.slurm
        ? {
            engine: 'slurm',
            slurm: { batchDir: batchDirOf(args, batchId), partition: args.partition ?? null, account: args.account ?? null, maxRunning, extraArgs: args['sbatch-arg'] ?? [], dryRun: args['dry-run'], log },
          }
        : { engine: 'local', local: { parallel, out: process.stderr } },
    );

    const db = await openStore(args);
    const inFlight = new Set((await engine.catchUp(db, batchId)).map(keyOf));
    const matrix = buildMatrix(tasks.map((t) => t.instanceId), profileNames, repeat);
    const plan = planBatch(matrix, batchTrials(db, batchId));
    const toRun = plan.toRun.filter((t) => !inFlight.has(keyOf(t)));
    // Finished trials without a verdict are graded by a local pass; a Slurm task grades its own trial.
    const toGrade = grading && !args.slurm ? plan.ungraded : [];
    const describe =
      `${matrix.length} trials (${tasks.length} instances × ${profileNames.length} profiles × ${repeat}): ${plan.finished.length} finished earlier, ${toRun.length} to run` +
      `${plan.retried ? ` (${plan.retried} interrupted before, run again)` : ''}${inFlight.size ? `, ${inFlight.size} still queued or running on Slurm` : ''}` +
      `${toGrade.length ? `, ${toGrade.length} finished earlier to grade` : ''}`;
    if (grading && args.slurm && plan.ungraded.length) log(`${plan.ungraded.length} finished trial(s) have no verdict: agentpod grade --batch ${batchId} grades them`);
    if (args['dry-run'] && !args.slurm) {
      if (args.json) process.stdout.write(`${JSON.stringify({ batchId, toRun, finished: plan.finished, toGrade })}\n`);
      else process.stdout.write(`batch ${batchId}: ${describe}\n${toRun.map((t) => `  run  ${trialLabel(t)}\n`).join('')}`);
      db.close();
      return;
    }
    const spec = { id: batchId, name: args.name ?? basename(tasksFile), tasksFile: resolve(tasksFile), tasksSha256, profiles: profileNames, repeat, parallel };
    process.stderr.write(`batch ${batchId}: ${describe}\n`);
    if (!args['dry-run']) {
      const { resumed, changed } = beginBatch(db, spec);
      if (resumed) log('resumed');
      if (changed.length) log(`${changed.join(', ')} changed since the last pass; finished trials that still match are kept`);
    }
    const { uid, gid } = userInfo();
    const { dataDir, dbPath } = resolveStore(args);
    const outcome = await engine.run({
      db,
      dataDir,
      dbPath,
      batch: spec,
      tasks,
      profiles,
      matrix,
      toRun,
      finished: plan.finished.length,
      toGrade,
      template,
      launch: trialLaunchFrom(args),
      grading,
      gradingPlans,
      uid,
      gid,
      signal: abortOnSignals().signal,
    });
    db.close();
    printOutcome(batchId, outcome, args.json, { total: matrix.length, skipped: plan.finished.length });
    process.exitCode = outcome.engine === 'local' ? EXIT_BY_BATCH_STATUS[outcome.status] : 0;
  },
};
