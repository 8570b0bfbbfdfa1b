import { userInfo } from 'node:os';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { assertImageReference } from '../podman/image-ref.js';
import type { Profile } from '../profiles.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import { openStore, resolveStore } from './common.js';
import { gradingOptionsFrom, verdictLines, withGradingOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, EXIT_BY_STATUS, outcomeLine, profileFromArgs, rootlessGuard, trialLaunchFrom, withLaunchOptions, type LaunchArgs } from './launch.js';

interface SwebenchArgs extends LaunchArgs, GradingArgs {
  task?: string;
  instance?: string;
  image?: string;
  'prompt-template'?: string;
}

export const swebenchCommand: CommandModule<object, SwebenchArgs> = {
  command: 'swebench',
  describe: 'Run one SWE-bench / SWE-rebench instance: permission-fixed image, agent in /testbed, patch captured',
  builder: (y) =>
    withGradingOptions(withLaunchOptions(y))
      .option('task', { type: 'string', describe: 'task records (JSON or JSONL with instance_id, problem_statement, image_name/docker_image, ...)' })
      .option('instance', { type: 'string', describe: 'instance_id of the record to run (needed when --task holds several)' })
      .option('image', { type: 'string', describe: 'image to run (default: the task\'s image_name / docker_image)' })
      .option('prompt-template', { type: 'string', describe: 'prompt template with {{problem_statement}} etc. (default prompts/swebench.md)' })
      .example('$0 swebench --image localhost/swe/calc:1', 'problem statement from the image\'s /issue.md')
      .example('$0 swebench --task tasks.jsonl --instance encode__starlette-1147 --profile small', 'one record of a SWE-rebench export'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    if (args.task === undefined && args.image === undefined) throw new ConfigError('name the instance: --task FILE [--instance ID], or --image IMAGE');
    if (args.instance !== undefined && args.task === undefined) throw new ConfigError('--instance needs --task FILE');
    if (args.image !== undefined) assertImageReference(args.image, '--image');
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const { pickTask, readTasksFile } = await import('../swebench/task.js');
    const { loadTemplate } = await import('../swebench/prompt.js');
    const { taskImage } = await import('../swebench/trial.js');
    const task = args.task === undefined ? null : pickTask(readTasksFile(args.task).tasks, args.instance, args.task);
    const template = loadTemplate(args['prompt-template']);
    const profile = await profileFromArgs(args);
    const grading = await gradingOptionsFrom(args, args['sample-interval']);
    // Whatever grading needs is checked before the agent runs: a record that cannot be graded is a bad input.
    const { planGrading } = await import('../grading/grade-run.js');
    const plan = grading && task ? planGrading(task, grading) : null;
    if (grading && !task) log('not graded: grading needs the task record (--task FILE), with its FAIL_TO_PASS and PASS_TO_PASS');
    const { dataDir } = resolveStore(args);
    const controller = abortOnSignals();
    const { uid, gid } = userInfo();
    const image = args.image ?? taskImage(task!, log);
    if (args['dry-run']) {
      await printDryRun(args, { task, image, template, profile, dataDir, uid, gid, signal: controller.signal, log });
      return;
    }
    const { executeTrial, fixCache } = await import('../batch/execute-trial.js');
    const db = await openStore(args);
    const ctx = { db, dataDir, template, launch: trialLaunchFrom(args), grading, uid, gid, signal: controller.signal, log };
    const outcome = await executeTrial(ctx, {
      task,
      image,
      profile,
      fix: fixCache(ctx),
      grading: plan,
      log,
      onPrepared: (trial) => log(`${trial.instanceId}: problem statement from ${trial.problemFrom}`),
    });
    db.close();
    if (args.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
    else {
      process.stdout.write(
        `${outcomeLine(outcome)}\n` +
          (outcome.patch ? `patch: ${outcome.patch.bytes} bytes, ${outcome.patch.files} file(s) changed\n` : 'patch: none taken\n') +
          verdictLines(outcome) +
          (outcome.error ? `error: ${outcome.error}\n` : '') +
          `folder: ${outcome.runDir}\n`,
      );
    }
    process.exitCode = EXIT_BY_STATUS[outcome.status];
  },
};

interface DryRunInput {
  task: SwebenchTask | null;
  image: string;
  template: PromptTemplate;
  profile: Profile;
  dataDir: string;
  uid: number;
  gid: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** The podman command the trial would run (the image is fixed first: the command names the fixed image). */
async function printDryRun(args: SwebenchArgs, d: DryRunInput): Promise<void> {
  const { fixImage } = await import('../swebench/fix.js');
  const { prepareTrial, trialSpec } = await import('../swebench/trial.js');
  const { formatCommand, podmanRunArgv } = await import('../podman/argv.js');
  const { PODMAN } = await import('../podman/client.js');
  const fix = await fixImage(d.image, { uid: d.uid, gid: d.gid, log: d.log, signal: d.signal });
  const trial = await prepareTrial({ task: d.task, fix, template: d.template, dataDir: d.dataDir, log: d.log });
  d.log(`${trial.instanceId}: problem statement from ${trial.problemFrom}`);
  const spec = trialSpec(trial, d.profile, trialLaunchFrom(args));
  const argv = [PODMAN, ...podmanRunArgv(spec, spec.promptDelivery === 'argv' ? trial.prompt : null)];
  if (args.json) process.stdout.write(`${JSON.stringify({ argv, promptOnStdin: spec.promptDelivery === 'stdin', fix })}\n`);
  else process.stdout.write(`${formatCommand(argv)}${spec.promptDelivery === 'stdin' ? '  # prompt on stdin' : ''}\n`);
}
