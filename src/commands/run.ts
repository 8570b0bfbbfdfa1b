import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { assertImageReference } from '../podman/image-ref.js';
import { assertPromptCarriable } from '../run/prompt-check.js';
import { openStore, resolveStore } from './common.js';
import { abortOnSignals, EXIT_BY_STATUS, outcomeLine, profileFromArgs, rootlessGuard, withLaunchOptions, type LaunchArgs } from './launch.js';

interface RunArgs extends LaunchArgs {
  prompt?: string;
  'prompt-file'?: string;
  image?: string;
  workdir?: string;
}

function readPrompt(args: RunArgs): string {
  if (args.prompt !== undefined && args['prompt-file'] !== undefined) throw new ConfigError('give the prompt as an argument or with --prompt-file, not both');
  let prompt: string;
  if (args['prompt-file'] !== undefined) {
    const file = args['prompt-file'];
    try {
      prompt = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new ConfigError(`--prompt-file ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (args.prompt !== undefined) prompt = String(args.prompt);
  else throw new ConfigError('no prompt: give PROMPT or --prompt-file FILE');
  if (prompt.trim() === '') throw new ConfigError('the prompt is empty');
  assertPromptCarriable(prompt, args['prompt-file'] !== undefined ? `--prompt-file ${args['prompt-file']}` : 'the prompt');
  return prompt;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [prompt]',
  describe: 'Run Claude Code on a prompt in a rootless host-sharing container and record the run',
  builder: (y) =>
    withLaunchOptions(y)
      .positional('prompt', { type: 'string', describe: 'the prompt (one argv element; use --prompt-file for long ones)' })
      .option('prompt-file', { type: 'string', describe: 'read the prompt from a file (- for stdin)' })
      .option('image', { type: 'string', describe: 'container image (default: agentpod\'s empty base image; the host supplies the rest)' })
      .option('workdir', { type: 'string', describe: 'the agent\'s working directory (default: the current one)' })
      .example('$0 run "fix the failing test"', 'in the current directory, default profile')
      .example('$0 run --profile small --timeout 10m --prompt-file task.md', 'limits from profiles/small.yaml, 10 minute limit')
      .example('$0 run --dry-run --json "hello"', 'print the podman argv as JSON, run nothing')
      .example('sudo $0 run --as-user alice "hello"', 'as root: run the rootless part as alice'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const prompt = readPrompt(args);
    if (args.image !== undefined) assertImageReference(args.image, '--image');
    const profile = await profileFromArgs(args);
    const { buildLaunchSpec } = await import('../run/resolve.js');
    const { BASE_IMAGE, ensureBaseImage, ensureImage } = await import('../podman/image.js');
    const workdir = resolve(args.workdir ?? process.cwd());
    const workdirOnHost = existsSync(workdir) && statSync(workdir).isDirectory();
    if (!args.image && !workdirOnHost) throw new ConfigError(`--workdir ${workdir}: no such directory`);
    const spec = buildLaunchSpec({
      profile,
      image: args.image ?? BASE_IMAGE,
      workdir,
      workdirOnHost,
      model: args.model,
      shareMode: args.share,
      runtime: args.runtime,
      claude: args.claude,
      promptBytes: Buffer.byteLength(prompt),
    });
    if (args['dry-run']) {
      const { formatCommand, podmanRunArgv } = await import('../podman/argv.js');
      const { PODMAN } = await import('../podman/client.js');
      const argv = [PODMAN, ...podmanRunArgv(spec, spec.promptDelivery === 'argv' ? prompt : null)];
      if (args.json) process.stdout.write(`${JSON.stringify(spec.promptDelivery === 'stdin' ? { argv, promptOnStdin: true } : { argv })}\n`);
      else process.stdout.write(`${formatCommand(argv)}${spec.promptDelivery === 'stdin' ? ` < PROMPT_FILE  # ${Buffer.byteLength(prompt)}-byte prompt on stdin` : ''}\n`);
      return;
    }
    // The image check is a podman process: it runs while this one loads the run modules. The database is opened
    // after it, so a missing image leaves the data dir as it was.
    const imageReady = args.image ? ensureImage(args.image, (line) => process.stderr.write(`${line}\n`)) : ensureBaseImage();
    imageReady.catch(() => {}); // awaited below; its error is the one to report
    const [{ executeRun }, { captureStartState, recordStartState }] = await Promise.all([import('../run/execute.js'), import('../run/start-state.js')]);
    // What the work dir is before the agent touches it, so the run can be replayed (docs/replay.md): a host work
    // dir's git state is read while the image check runs; a work dir inside the image needs the image first.
    const startInput = { workdir, workdirOnHost, image: spec.image };
    const hostStart = workdirOnHost ? captureStartState(startInput) : null;
    await imageReady;
    const startState = await (hostStart ?? captureStartState(startInput));
    const db = await openStore(args);
    const controller = abortOnSignals();
    const outcome = await executeRun({
      db,
      dataDir: resolveStore(args).dataDir,
      spec,
      prompt,
      signal: controller.signal,
      sampleIntervalMs: args['sample-interval'],
      processSampleEvery: args['process-samples-every'],
      log: (line) => process.stderr.write(`${line}\n`),
      hooks: { afterStart: ({ runId }) => recordStartState(db, runId, startState) },
    });
    db.close();
    if (args.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
    else {
      process.stdout.write(
        `${outcomeLine(outcome)}\n` +
          (outcome.agentResult?.result ? `result: ${outcome.agentResult.result.split('\n')[0].slice(0, 200)}\n` : '') +
          (outcome.error ? `error: ${outcome.error}\n` : '') +
          `folder: ${outcome.runDir}\ntrace:  ${outcome.tracePath}\n`,
      );
    }
    process.exitCode = EXIT_BY_STATUS[outcome.status];
  },
};
