// `agentpod grade`: trials graded (again) in a fresh container of their source image, or a saved test log
// graded offline, both as the SWE-bench 5 harness grades (docs/grading.md).
import type { CommandModule } from 'yargs';
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';
import type { GradeResult } from '../grading/index.js';
import type { SwebenchTask } from '../swebench/task.js';
import { openStore, withStoreOptions, type StoreArgs } from './common.js';
import { gradingOptionsFrom, verdictLine, withEvalOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, rootlessGuard } from './launch.js';

interface GradeArgs extends StoreArgs, Omit<GradingArgs, 'grade'> {
  runs: string[];
  batch?: string;
  regrade: boolean;
  log?: string;
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

/** The exact --json shape: the verdict and the two lists, nothing else. */
function verdictJson(g: GradeResult): string {
  const empty = { success: [], failure: [] };
  return JSON.stringify({
    resolved: g.resolved,
    resolution: g.resolution,
    log_valid: g.logValid,
    FAIL_TO_PASS: g.testsStatus?.FAIL_TO_PASS ?? empty,
    PASS_TO_PASS: g.testsStatus?.PASS_TO_PASS ?? empty,
  });
}

function summary(g: GradeResult, logFile: string): string {
  const lines = [`${g.instanceId}: ${g.resolved ? 'resolved' : 'not resolved'} (${g.resolution})`];
  const how = [`parser ${g.parser}`, `eval_type ${g.evalType}`];
  if (g.testExitCode !== null) how.push(`test exit code ${g.testExitCode}`);
  lines.push(`  ${how.join(', ')}`);
  if (g.framing === 'test-output') lines.push(`  ${logFile} has no start/end markers: graded the whole file as the test output`);
  if (!g.logValid || !g.testsStatus) {
    lines.push(`  log invalid: ${g.invalidReason}`);
    return lines.join('\n');
  }
  if (g.parsedFrom === 'whole-log') lines.push('  no results between the markers: parsed the whole log (as the harness does)');
  for (const [name, split] of [['FAIL_TO_PASS', g.testsStatus.FAIL_TO_PASS], ['PASS_TO_PASS', g.testsStatus.PASS_TO_PASS]] as const) {
    const graded = split.success.length + split.failure.length;
    lines.push(`  ${name}: ${split.success.length}/${graded} passed${split.failure.length ? ', failing:' : ''}`);
    for (const t of split.failure) lines.push(`    ${t}`);
  }
  return lines.join('\n');
}

/** `grade --log FILE --task FILE`: one saved test log graded offline, no container. */
async function gradeLogFile(args: GradeArgs & { log: string }): Promise<void> {
  if (args.runs.length > 0 || args.batch !== undefined) throw new ConfigError('--log grades a saved log: give no run ids or --batch with it');
  if (args.task === undefined) throw new ConfigError('--log needs --task FILE (the record with FAIL_TO_PASS, PASS_TO_PASS and the parser)');
  const { readFileSync } = await import('node:fs');
  const { pickTask, readTasksFile } = await import('../swebench/task.js');
  const { gradeSavedLog, parserFor } = await import('../grading/index.js');
  const task = pickTask(readTasksFile(args.task).tasks, args.instance, args.task);
  const parser = parserFor(task, args['log-parser']);
  let text: string;
  try {
    text = readFileSync(args.log, 'utf8');
  } catch (e) {
    throw new ConfigError(`--log ${args.log}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const grade = gradeSavedLog(text, { instanceId: task.instanceId, failToPass: task.failToPass, passToPass: task.passToPass, parser: parser.name, evalType: task.evalType });
  process.stdout.write(`${args.json ? verdictJson(grade) : summary(grade, args.log)}\n`);
}

export const gradeCommand: CommandModule<object, GradeArgs> = {
  command: 'grade [runs..]',
  describe: 'Grade SWE-bench trials (again) as the harness does, in a fresh container of the source image; or a saved test log (--log)',
  builder: (y) =>
    withEvalOptions(withStoreOptions(y))
      .positional('runs', { type: 'string', array: true, default: [] as string[], describe: 'run ids' })
      .option('batch', { type: 'string', describe: 'every finished trial of this batch' })
      .option('regrade', { type: 'boolean', default: false, describe: 'grade runs that have a verdict again (a new evaluation row; earlier ones are kept)' })
      .option('log', { type: 'string', describe: 'grade this saved log instead, no container: the test output as the eval step wrote it (markers and exit-code line included), or only the test command\'s output' })
      .option('task', { type: 'string', describe: 'task records (JSON or JSONL) to grade against; with runs, default: the task.json each trial\'s folder keeps' })
      .option('instance', { type: 'string', describe: 'instance_id of the record (default: the run\'s instance; needed for --log when --task holds several)' })
      .option('json', { type: 'boolean', default: false, describe: 'runs: the evaluation rows; --log: {"resolved", "resolution", "log_valid", "FAIL_TO_PASS", "PASS_TO_PASS"}' })
      .option('sample-interval', { type: 'number', default: 100, describe: 'resource sampling interval of the test run, ms' })
      .option('as-user', { type: 'string', describe: 'when root: grade as this user (the runs\' rootless images are theirs)' })
      .example('$0 grade 20261201-101500-a1b2c3', 'grade one run (skipped if it has a verdict)')
      .example('$0 grade --batch b1 --regrade --eval-profile small', 'grade a whole batch again, tests under 2 GiB')
      .example('$0 grade --log eval/test_output.txt --task tasks.jsonl --instance sympy__sympy-24152', 'a saved log: verdict, counts and the failing tests')
      .example('$0 grade --log pytest.out --task task.json --log-parser parse_log_pytest --json', 'bare pytest output, as JSON'),
  handler: async (args) => {
    if (args.log !== undefined) {
      await gradeLogFile({ ...args, log: args.log });
      return;
    }
    if ((args.runs.length > 0) === (args.batch !== undefined)) throw new ConfigError('grade: name run ids, or --batch ID (not both), or --log FILE --task FILE');
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

function selectRuns(db: Db, args: GradeArgs): RunToGrade[] {
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
