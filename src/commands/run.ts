import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { isRoot, reexecAsUser } from '../as-user.js';
import { ConfigError, UserError } from '../errors.js';
import { formatCommand, podmanRunArgv } from '../podman/argv.js';
import { ensureBaseImage, ensureImage, BASE_IMAGE } from '../podman/image.js';
import { PODMAN } from '../podman/client.js';
import { applyOverrides, loadProfile } from '../profiles.js';
import { executeRun, type RunOutcome } from '../run/execute.js';
import { buildLaunchSpec } from '../run/resolve.js';
import type { ShareMode } from '../run/spec.js';
import { openStore, resolveStore, withStoreOptions, type StoreArgs } from './common.js';

export interface LaunchArgs extends StoreArgs {
  profile: string;
  memory?: string;
  'memory-swap'?: string;
  cpus?: string;
  'pids-limit'?: string;
  timeout?: string;
  model?: string;
  share: ShareMode;
  runtime?: string;
  claude?: string;
  'sample-interval': number;
  'dry-run': boolean;
  json: boolean;
  'as-user'?: string;
}

/** Options every launching command shares (run, swebench, batch). */
export function withLaunchOptions<T>(y: Argv<T>) {
  return withStoreOptions(y)
    .option('profile', { type: 'string', default: 'default', describe: 'resource profile name or YAML file' })
    .option('memory', { type: 'string', describe: 'memory limit (overrides the profile), e.g. 2g' })
    .option('memory-swap', { type: 'string', describe: 'memory+swap limit (default: = memory, no swap)' })
    .option('cpus', { type: 'string', describe: 'CPU limit, e.g. 1.5' })
    .option('pids-limit', { type: 'string', describe: 'process/thread limit' })
    .option('timeout', { type: 'string', describe: 'wall-clock limit, e.g. 30m' })
    .option('model', { type: 'string', describe: 'model passed to claude --model' })
    .option('share', { choices: ['host', 'narrow'] as const, default: 'host' as ShareMode, describe: 'host: share /home and /tmp; narrow: only ~/.claude and the work dir' })
    .option('runtime', { type: 'string', describe: 'OCI runtime (default: podman\'s, or runc on cgroup v1/hybrid hosts)' })
    .option('claude', { type: 'string', describe: 'path of the claude binary (default: $AGENTPOD_CLAUDE, PATH, bundled)' })
    .option('sample-interval', { type: 'number', default: 100, describe: 'resource sampling interval in ms' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the podman command and run nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
    .option('as-user', { type: 'string', describe: 'when root: run the rootless part as this user' });
}

export function profileFromArgs(args: LaunchArgs) {
  return applyOverrides(loadProfile(args.profile), {
    memory: args.memory,
    memorySwap: args['memory-swap'],
    cpus: args.cpus,
    pidsLimit: args['pids-limit'],
    timeout: args.timeout,
  });
}

/** As root: re-exec as --as-user, or refuse with what to do. Returns an exit code when it re-executed. */
export async function rootlessGuard(args: Pick<LaunchArgs, 'dry-run' | 'as-user'>): Promise<number | undefined> {
  if (!isRoot() || args['dry-run']) return undefined;
  if (args['as-user']) return reexecAsUser(args['as-user'], process.argv.slice(2));
  throw new UserError(
    'refusing to launch as root: rootless podman (--userns=keep-id) needs a normal user. Run agentpod as a normal user, or add --as-user NAME to run the rootless part as that user (create one with: useradd -m NAME).',
    2,
  );
}

/** SIGINT/SIGTERM abort the controller (first one: stop cleanly); a second one leaves at once. */
export function abortOnSignals(): AbortController {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`agentpod: ${sig}: stopping the container (again to quit at once)\n`);
    controller.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

export const EXIT_BY_STATUS: Record<RunOutcome['status'], number> = { ok: 0, failed: 1, oom: 3, timeout: 4, interrupted: 130 };

/** The first line a launching command prints about its run. */
export function outcomeLine(outcome: RunOutcome): string {
  return `run ${outcome.runId}: ${outcome.status} (exit ${outcome.exitCode ?? '-'}, ${(outcome.durationMs / 1000).toFixed(1)} s)`;
}

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
  return prompt;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [prompt]',
  describe: 'Run Claude Code on a prompt in a rootless host-sharing container and record the run',
  builder: (y) =>
    withLaunchOptions(y)
      .positional('prompt', { type: 'string', describe: 'the prompt (one argv element; use --prompt-file for long ones)' })
      .option('prompt-file', { type: 'string', describe: 'read the prompt from a file (- for stdin)' })
      .option('image', { type: 'string', describe: `container image (default ${BASE_IMAGE}, an empty image: the host supplies the rest)` })
      .option('workdir', { type: 'string', describe: 'the agent\'s working directory (default: the current one)' })
      .example('$0 run "fix the failing test"', 'in the current directory, default profile')
      .example('$0 run --profile small --timeout 10m --prompt-file task.md', 'limits from profiles/small.yaml, 10 minute limit')
      .example('$0 run --dry-run --json "hello"', 'print the podman argv as JSON, run nothing')
      .example('sudo $0 run --as-user alice "hello"', 'as root: run the rootless part as alice'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const prompt = readPrompt(args);
    const profile = profileFromArgs(args);
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
      const argv = [PODMAN, ...podmanRunArgv(spec, spec.promptDelivery === 'argv' ? prompt : null)];
      if (args.json) process.stdout.write(`${JSON.stringify(spec.promptDelivery === 'stdin' ? { argv, promptOnStdin: true } : { argv })}\n`);
      else process.stdout.write(`${formatCommand(argv)}${spec.promptDelivery === 'stdin' ? ` < PROMPT_FILE  # ${Buffer.byteLength(prompt)}-byte prompt on stdin` : ''}\n`);
      return;
    }
    if (args.image) await ensureImage(args.image, (line) => process.stderr.write(`${line}\n`));
    else await ensureBaseImage();
    const db = openStore(args);
    const controller = abortOnSignals();
    const outcome = await executeRun({
      db,
      dataDir: resolveStore(args).dataDir,
      spec,
      prompt,
      signal: controller.signal,
      sampleIntervalMs: args['sample-interval'],
      log: (line) => process.stderr.write(`${line}\n`),
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
