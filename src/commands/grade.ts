import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import type { SwebenchTask } from '../swebench/task.js';
import { openStore, withStoreOptions, type StoreArgs } from './common.js';
import { gradingOptionsFrom, verdictLine, withEvalOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, rootlessGuard } from './launch.js';

interface GradeArgs extends StoreArgs, Omit<GradingArgs, 'grade'> {
  runs: string[];
  batch?: string;
  regrade: boolean;
  task?: string;
  instance?: string;
  json: boolean;
  'sample-interval': number;
  'as-user'?: string;
}

interface RunToGrade {
  id: string;
  instance_id: string | null;
  run_dir: string;
  status: string;
  eval_status: string | null;
}

export const gradeCommand: CommandModule<object, GradeArgs> = {
  command: 'grade [runs..]',
  describe: 'Grade SWE-bench trials (again) as the harness does: their patch and the instance\'s tests in a fresh container of the source image',
  builder: (y) =>
    withEvalOptions(withStoreOptions(y))
      .positional('runs', { type: 'string', array: true, default: [] as string[], describe: 'run ids' })
      .option('batch', { type: 'string', describe: 'every finished trial of this batch' })
      .option('regrade', { type: 'boolean', default: false, describe: 'grade runs that have a verdict again (a new evaluation row; earlier ones are kept)' })
      .option('task', { type: 'string', describe: 'task records to grade against (default: the task.json each trial\'s folder keeps)' })
      .option('instance', { type: 'string', describe: 'the record of --task to use (default: the run\'s instance)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the evaluation rows as JSON' })
      .option('sample-interval', { type: 'number', default: 100, describe: 'resource sampling interval of the test run, ms' })
      .option('as-user', { type: 'string', describe: 'when root: grade as this user (the runs\' rootless images are theirs)' })
      .example('$0 grade 20261201-101500-a1b2c3', 'grade one run (skipped if it has a verdict)')
      .example('$0 grade --batch b1 --regrade --eval-profile small', 'grade a whole batch again, tests under 2 GiB'),
  handler: async (args) => {
    if ((args.runs.length > 0) === (args.batch !== undefined)) throw new ConfigError('grade: name run ids, or --batch ID (not both)');
    if (args.instance !== undefined && args.task === undefined) throw new ConfigError('--instance needs --task FILE');
    const reexecCode = await rootlessGuard({ 'dry-run': false, 'as-user': args['as-user'] });
    if (reexecCode !== undefined) process.exit(reexecCode);
    const options = (await gradingOptionsFrom({ ...args, grade: true }, args['sample-interval']))!;
    const { readTasksFile } = await import('../swebench/task.js');
    const given = args.task === undefined ? null : readTasksFile(args.task).tasks;
    const { gradeRun, planGrading } = await import('../grading/grade-run.js');
    const { readTrialTask } = await import('../swebench/trial.js');
    const db = await openStore(args);
    const controller = abortOnSignals();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results: { runId: string; evaluation?: unknown; skipped?: string; error?: string }[] = [];
    try {
      const runs = selectRuns(db, args);
      for (const run of runs) {
        if (controller.signal.aborted) break;
        const say = (text: string) => process.stdout.write(args.json ? '' : `run ${run.id} (${run.instance_id ?? '?'}): ${text}\n`);
        if (run.eval_status !== null && !args.regrade) {
          results.push({ runId: run.id, skipped: `already graded: ${run.eval_status}` });
          say(`already graded: ${run.eval_status} (--regrade grades it again)`);
          continue;
        }
        try {
          const task = pickRecord(given, args.instance ?? run.instance_id, args.task) ?? readTrialTask(run.run_dir);
          if (!task) throw new ConfigError(`no task record: its folder keeps no task.json; give --task FILE`);
          const evaluation = await gradeRun({ db, runId: run.id, plan: planGrading(task, options), options, signal: controller.signal, log });
          if (!evaluation) break;
          results.push({ runId: run.id, evaluation });
          say(verdictLine(evaluation));
        } catch (e) {
          if (e instanceof ConfigError && runs.length === 1) throw e;
          results.push({ runId: run.id, error: (e as Error).message });
          say(`not graded: ${(e as Error).message}`);
        }
      }
    } finally {
      db.close();
    }
    if (args.json) process.stdout.write(`${JSON.stringify(results)}\n`);
    if (controller.signal.aborted) process.exitCode = 130;
    else if (results.some((r) => r.error)) process.exitCode = 1;
  },
};

function selectRuns(db: import('../db/open.js').Db, args: GradeArgs): RunToGrade[] {
  const columns = 'id, instance_id, run_dir, status, eval_status';
  if (args.batch !== undefined) {
    const rows = db.prepare(`SELECT ${columns} FROM runs WHERE batch_id = ? AND status NOT IN ('running', 'interrupted') ORDER BY started_at, id`).all(args.batch) as RunToGrade[];
    if (rows.length === 0) throw new ConfigError(`no finished trial of batch ${args.batch} in the database`);
    return rows;
  }
  return args.runs.map((id) => {
    const row = db.prepare(`SELECT ${columns} FROM runs WHERE id = ?`).get(id) as RunToGrade | undefined;
    if (!row) throw new ConfigError(`no run ${id} in the database`);
    return row;
  });
}

/** The record of --task for this instance; null without --task. */
function pickRecord(tasks: SwebenchTask[] | null, instanceId: string | null, source: string | undefined): SwebenchTask | null {
  if (!tasks) return null;
  const task = tasks.length === 1 && instanceId === null ? tasks[0] : tasks.find((t) => t.instanceId === instanceId);
  if (!task) throw new ConfigError(`${source} has no record for instance ${instanceId ?? '(none)'}`);
  return task;
}
