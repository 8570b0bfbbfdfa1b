import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import type { GradeResult } from '../grading/index.js';

interface GradeArgs {
  log?: string;
  task?: string;
  instance?: string;
  'log-parser'?: string;
  json?: boolean;
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
  command: 'grade',
  describe: 'Grade a saved test log like the SWE-bench 5 harness: FAIL_TO_PASS / PASS_TO_PASS, FULL / PARTIAL / NO (docs/grading.md)',
  builder: (y) =>
    y
      .option('log', { type: 'string', describe: 'the test output as the eval step wrote it (markers and exit-code line included), or only the test command\'s output' })
      .option('task', { type: 'string', describe: 'task records (JSON or JSONL): instance_id, FAIL_TO_PASS, PASS_TO_PASS, log_parser or repo, eval_type' })
      .option('instance', { type: 'string', describe: 'instance_id of the record (needed when --task holds several)' })
      .option('log-parser', { type: 'string', describe: 'the harness parser to use instead of the record\'s (e.g. parse_log_pytest, parse_log_django)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"resolved", "resolution", "log_valid", "FAIL_TO_PASS", "PASS_TO_PASS"}' })
      .example('$0 grade --log eval/test_output.txt --task tasks.jsonl --instance sympy__sympy-24152', 'verdict, counts and the failing tests')
      .example('$0 grade --log pytest.out --task task.json --log-parser parse_log_pytest --json', 'bare pytest output, as JSON'),
  handler: async (args) => {
    if (args.log === undefined) throw new ConfigError('name the log to grade: --log FILE --task FILE [--instance ID]');
    await gradeLogFile({ ...args, log: args.log });
  },
};
