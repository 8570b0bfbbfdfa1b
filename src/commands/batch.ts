import { createHash } from 'node:crypto';
import { totalmem, userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { formatBytes, formatDuration, parseBytes } from '../units.js';
import { openStore, resolveStore } from './common.js';
import { abortOnSignals, profileFromArgs, rootlessGuard, trialLaunchFrom, withLaunchOptions, type LaunchArgs } from './launch.js';

interface BatchArgs extends LaunchArgs {
  tasks: string;
  profiles?: string;
  repeat: number;
  parallel: string;
  'memory-budget'?: string;
  name?: string;
  'prompt-template'?: string;
}

const EXIT_BY_BATCH_STATUS = { done: 0, incomplete: 1, interrupted: 130 } as const;

/** --memory-budget, or the host's memory minus a reserve. */
async function memoryBudget(flag: string | undefined): Promise<number> {
  const { defaultBudget } = await import('../batch/admission.js');
  if (flag === undefined) return defaultBudget(totalmem());
  const bytes = parseBytes(flag);
  if (bytes === undefined) throw new ConfigError(`--memory-budget must be a size such as 20g, got ${JSON.stringify(flag)}`);
  return bytes;
}

/** "the trials' memory peaked at 3.2 GiB together (21% of the 15 GiB budget) 2m10s in; 3 at once at most". */
function passMemoryLine(m: { budgetBytes: number | null; peakSumBytes: number; peakAtMs: number | null; maxRunning: number }, passStartedAt: number): string {
  const budget = m.budgetBytes === null ? '' : ` (${Math.round((m.peakSumBytes / m.budgetBytes) * 100)}% of the ${formatBytes(m.budgetBytes)} budget)`;
  const at = m.peakAtMs === null ? '' : ` ${formatDuration(m.peakAtMs - passStartedAt)} in`;
  return `the trials' memory peaked at ${formatBytes(m.peakSumBytes)} together${budget}${at}; ${m.maxRunning} at once at most`;
}

function positiveInt(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${flag} must be a whole number >= 1, got ${value}`);
  return value;
}

export const batchCommand: CommandModule<object, BatchArgs> = {
  command: 'batch',
  describe: 'Run a matrix of SWE-bench trials (instances × profiles × repeats); rerun to resume',
  builder: (y) =>
    withLaunchOptions(y)
      .option('tasks', { type: 'string', demandOption: true, describe: 'task records, JSON or JSONL (see agentpod swebench)' })
      .option('profiles', { type: 'string', describe: 'comma-separated profiles to cross with the tasks (default: --profile)' })
      .option('repeat', { type: 'number', default: 1, describe: 'trials per instance and profile' })
      .option('parallel', { type: 'string', default: '1', describe: 'trials running at once, or auto: as many as fit the memory budget' })
      .option('memory-budget', { type: 'string', describe: 'with --parallel auto: memory the trials may take together (default: host memory minus 10%, at least 2 GiB)' })
      .option('name', { type: 'string', describe: 'batch id to create or resume (default: a hash of tasks, profiles and repeat)' })
      .option('prompt-template', { type: 'string', describe: 'prompt template (default prompts/swebench.md)' })
      .example('$0 batch --tasks tasks.jsonl --profiles small,default --repeat 2 --parallel 2', '2 trials per instance and profile, 2 at a time')
      .example('$0 batch --tasks tasks.jsonl --parallel auto --memory-budget 20g', 'start trials while their predicted peaks fit 20 GiB')
      .example('$0 batch --tasks tasks.jsonl --dry-run', 'show which trials would run and which are done'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const repeat = positiveInt(args.repeat, '--repeat');
    const parallel = args.parallel === 'auto' ? 'auto' : positiveInt(Number(args.parallel), '--parallel');
    if (args['memory-budget'] !== undefined && parallel !== 'auto') throw new ConfigError('--memory-budget goes with --parallel auto');
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
    const tasksSha256 = createHash('sha256').update(text).digest('hex');
    const batchId = batchIdentity({ name: args.name, tasksSha256, profiles, model: args.model, repeat });
    const warning = parallel === 'auto' ? null : parallelMemoryWarning(profiles, parallel, totalmem());
    if (warning) process.stderr.write(`agentpod: warning: ${warning}\n`);
    const memoryBudgetBytes = parallel === 'auto' ? await memoryBudget(args['memory-budget']) : undefined;

    const db = await openStore(args);
    const matrix = buildMatrix(tasks.map((t) => t.instanceId), profileNames, repeat);
    const plan = planBatch(matrix, batchTrials(db, batchId));
    const describe = `${matrix.length} trials (${tasks.length} instances × ${profileNames.length} profiles × ${repeat}): ${plan.finished.length} finished earlier, ${plan.toRun.length} to run${plan.retried ? ` (${plan.retried} interrupted before, run again)` : ''}`;
    if (args['dry-run']) {
      if (args.json) process.stdout.write(`${JSON.stringify({ batchId, toRun: plan.toRun, finished: plan.finished })}\n`);
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
      parallel: parallel === 'auto' ? null : parallel,
    });
    process.stderr.write(`batch ${batchId}${resumed ? ' (resumed)' : ''}: ${describe}\n`);
    if (memoryBudgetBytes !== undefined) process.stderr.write(`batch ${batchId}: --parallel auto within a memory budget of ${formatBytes(memoryBudgetBytes)}\n`);
    if (changed.length) process.stderr.write(`batch ${batchId}: ${changed.join(', ')} changed since the last pass; finished trials that still match are kept\n`);

    const controller = abortOnSignals();
    const progress = new BatchProgress(process.stderr, { batchId, total: matrix.length, skipped: plan.finished.length, parallel: parallel === 'auto' ? 0 : parallel });
    const { uid, gid } = userInfo();
    const passStartedAt = Date.now();
    const status = await runBatchPass({
      db,
      dataDir: resolveStore(args).dataDir,
      batchId,
      tasks,
      profiles,
      toRun: plan.toRun,
      parallel,
      memoryBudgetBytes,
      template,
      launch: trialLaunchFrom(args),
      uid,
      gid,
      signal: controller.signal,
      progress,
    });
    progress.close();
    const { recordPassMemory } = await import('../batch/memory-parallel.js');
    const memory = recordPassMemory(db, batchId, passStartedAt, memoryBudgetBytes ?? null);
    db.close();
    const counts = progress.state.counts;
    if (args.json) process.stdout.write(`${JSON.stringify({ batchId, status, total: matrix.length, skipped: plan.finished.length, counts, memory })}\n`);
    else process.stdout.write(`batch ${batchId}: ${status}; ${passMemoryLine(memory, passStartedAt)}; runs: SELECT * FROM runs WHERE batch_id = '${batchId}'\n`);
    process.exitCode = EXIT_BY_BATCH_STATUS[status];
  },
};
