import { createHash } from 'node:crypto';
import { totalmem, userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { openStore, resolveStore } from './common.js';
import { gradingOptionsFrom, withGradingOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, profileFromArgs, rootlessGuard, trialLaunchFrom, withLaunchOptions, type LaunchArgs } from './launch.js';

interface BatchArgs extends LaunchArgs, GradingArgs {
  tasks: string;
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

export const batchCommand: CommandModule<object, BatchArgs> = {
  command: 'batch',
  describe: 'Run a matrix of SWE-bench trials (instances × profiles × repeats); rerun to resume',
  builder: (y) =>
    withGradingOptions(withLaunchOptions(y))
      .option('tasks', { type: 'string', demandOption: true, describe: 'task records, JSON or JSONL (see agentpod swebench)' })
      .option('profiles', { type: 'string', describe: 'comma-separated profiles to cross with the tasks (default: --profile)' })
      .option('repeat', { type: 'number', default: 1, describe: 'trials per instance and profile' })
      .option('parallel', { type: 'number', default: 1, describe: 'trials running at once' })
      .option('name', { type: 'string', describe: 'batch id to create or resume (default: a hash of tasks, profiles and repeat)' })
      .option('prompt-template', { type: 'string', describe: 'prompt template (default prompts/swebench.md)' })
      .example('$0 batch --tasks tasks.jsonl --profiles small,default --repeat 2 --parallel 2', '2 trials per instance and profile, 2 at a time')
      .example('$0 batch --tasks tasks.jsonl --dry-run', 'show which trials would run and which are done'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const repeat = positiveInt(args.repeat, '--repeat');
    const parallel = positiveInt(args.parallel, '--parallel');
    const profileNames = (args.profiles ?? args.profile).split(',').map((p) => p.trim()).filter(Boolean);
    if (profileNames.length === 0) throw new ConfigError('--profiles names no profile');
    if (new Set(profileNames).size !== profileNames.length) throw new ConfigError(`--profiles ${args.profiles}: a profile is named twice`);
    const { buildMatrix, batchIdentity, parallelMemoryWarning, planBatch, trialLabel } = await import('../batch/matrix.js');
    const { BatchProgress } = await import('../batch/progress.js');
    const { runBatchPass } = await import('../batch/run-batch.js');
    const { batchTrials, beginBatch } = await import('../batch/state.js');
    const { loadTemplate } = await import('../swebench/prompt.js');
    const { readTasksFile } = await import('../swebench/task.js');
    const profiles = await Promise.all(profileNames.map((profile) => profileFromArgs({ ...args, profile })));
    const { tasks, text } = readTasksFile(args.tasks);
    const template = loadTemplate(args['prompt-template']);
    const grading = await gradingOptionsFrom(args, args['sample-interval']);
    // Every record must be gradable before any trial runs (a bad parser name, no test command: exit 2).
    const { planGrading } = await import('../grading/grade-run.js');
    const gradingPlans = new Map(grading ? tasks.map((t) => [t.instanceId, planGrading(t, grading)]) : []);
    const tasksSha256 = createHash('sha256').update(text).digest('hex');
    const batchId = batchIdentity({ name: args.name, tasksSha256, profiles, model: args.model, repeat });
    const warning = parallelMemoryWarning(profiles, parallel, totalmem());
    if (warning) process.stderr.write(`agentpod: warning: ${warning}\n`);

    const db = await openStore(args);
    const matrix = buildMatrix(tasks.map((t) => t.instanceId), profileNames, repeat);
    const plan = planBatch(matrix, batchTrials(db, batchId));
    const toGrade = grading ? plan.ungraded : [];
    const describe =
      `${matrix.length} trials (${tasks.length} instances × ${profileNames.length} profiles × ${repeat}): ${plan.finished.length} finished earlier, ${plan.toRun.length} to run` +
      `${plan.retried ? ` (${plan.retried} interrupted before, run again)` : ''}${toGrade.length ? `, ${toGrade.length} finished earlier to grade` : ''}`;
    if (args['dry-run']) {
      if (args.json) process.stdout.write(`${JSON.stringify({ batchId, toRun: plan.toRun, finished: plan.finished, toGrade })}\n`);
      else process.stdout.write(`batch ${batchId}: ${describe}\n${plan.toRun.map((t) => `  run  ${trialLabel(t)}\n`).join('')}`);
      db.close();
      return;
    }
    const { resumed, changed } = beginBatch(db, {
      id: batchId,
      name: args.name ?? basename(args.tasks),
      tasksFile: resolve(args.tasks),
      tasksSha256,
      profiles: profileNames,
      repeat,
      parallel,
    });
    process.stderr.write(`batch ${batchId}${resumed ? ' (resumed)' : ''}: ${describe}\n`);
    if (changed.length) process.stderr.write(`batch ${batchId}: ${changed.join(', ')} changed since the last pass; finished trials that still match are kept\n`);

    const controller = abortOnSignals();
    const progress = new BatchProgress(process.stderr, { batchId, total: matrix.length, skipped: plan.finished.length, parallel });
    const { uid, gid } = userInfo();
    const status = await runBatchPass({
      db,
      dataDir: resolveStore(args).dataDir,
      batchId,
      tasks,
      profiles,
      toRun: plan.toRun,
      toGrade,
      parallel,
      template,
      launch: trialLaunchFrom(args),
      grading,
      gradingPlans,
      uid,
      gid,
      signal: controller.signal,
      progress,
    });
    progress.close();
    db.close();
    const counts = progress.state.counts;
    const verdicts = progress.state.verdicts;
    if (args.json) process.stdout.write(`${JSON.stringify({ batchId, status, total: matrix.length, skipped: plan.finished.length, counts, verdicts })}\n`);
    else process.stdout.write(`batch ${batchId}: ${status}; verdicts: agentpod query resolved --batch ${batchId}; runs: SELECT * FROM runs WHERE batch_id = '${batchId}'\n`);
    process.exitCode = EXIT_BY_BATCH_STATUS[status];
  },
};
