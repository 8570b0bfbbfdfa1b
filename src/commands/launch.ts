// What the launching commands (run, swebench, batch, images, demo) share. Loaded for every --help, so the
// heavy modules (podman, profiles, the database) are imported inside the functions that need them.
import type { Argv } from 'yargs';
import type { RunOutcome } from '../run/execute.js';
import type { ShareMode } from '../launch-spec.js';
import type { TrialLaunch } from '../swebench/trial.js';
import { ConfigError, UserError } from '../errors.js';
import { withStoreOptions, type StoreArgs } from './common.js';

export interface LaunchArgs extends StoreArgs {
  profile: string;
  memory?: string;
  'memory-swap'?: string;
  cpus?: string;
  'pids-limit'?: string;
  timeout?: string;
  'memory-high'?: string;
  'memory-low'?: string;
  'cpu-weight'?: string;
  model?: string;
  share: ShareMode;
  runtime?: string;
  claude?: string;
  'sample-interval': number;
  'process-samples-every': number;
  'dry-run': boolean;
  json: boolean;
  'as-user'?: string;
}

/**
 * The shortest sampling interval: one sample of a /proc process tree takes 1–3 ms on a 2-core machine and
 * samples are stored per millisecond, so below 10 ms the sampler would fall behind or take most of a core.
 */
export const MIN_SAMPLE_INTERVAL_MS = 10;

function sampleInterval(value: unknown): number {
  const ms = Number(value);
  if (typeof value !== 'number' || !Number.isFinite(ms) || ms < MIN_SAMPLE_INTERVAL_MS) {
    throw new ConfigError(`--sample-interval must be a number of milliseconds >= ${MIN_SAMPLE_INTERVAL_MS} (the sampler cannot keep up with less), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return ms;
}

/** Options every launching command shares (run, swebench, batch). */
export function withLaunchOptions<T>(y: Argv<T>) {
  return withStoreOptions(y)
    .option('profile', { type: 'string', requiresArg: true, default: 'default', describe: 'resource profile name or YAML file' })
    .option('memory', { type: 'string', requiresArg: true, describe: 'memory limit (overrides the profile), e.g. 2g' })
    .option('memory-swap', { type: 'string', requiresArg: true, describe: 'memory+swap limit (default: = memory, no swap)' })
    .option('cpus', { type: 'string', requiresArg: true, describe: 'CPU limit, e.g. 1.5' })
    .option('pids-limit', { type: 'string', requiresArg: true, describe: 'process/thread limit' })
    .option('timeout', { type: 'string', requiresArg: true, describe: 'wall-clock limit, e.g. 30m' })
    .option('memory-high', { type: 'string', requiresArg: true, describe: 'soft memory limit (cgroup v2 memory.high): throttle and reclaim above it, e.g. 1500m' })
    .option('memory-low', { type: 'string', requiresArg: true, describe: 'memory reservation (cgroup v2 memory.low, podman --memory-reservation)' })
    .option('cpu-weight', { type: 'string', requiresArg: true, describe: 'CPU weight when CPUs are contended, 1-10000 (kernel default 100)' })
    .option('model', { type: 'string', requiresArg: true, describe: 'model passed to claude --model' })
    .option('share', { choices: ['host', 'narrow'] as const, default: 'host' as ShareMode, describe: 'host: share /home and /tmp; narrow: only ~/.claude and the work dir' })
    .option('runtime', { type: 'string', requiresArg: true, describe: 'OCI runtime (default: podman\'s, or runc on cgroup v1/hybrid hosts)' })
    .option('claude', { type: 'string', requiresArg: true, describe: 'path of the claude binary (default: $AGENTPOD_CLAUDE, PATH, bundled)' })
    .option('sample-interval', { type: 'number', requiresArg: true, default: 100, describe: `resource sampling interval in ms (>= ${MIN_SAMPLE_INTERVAL_MS})`, coerce: sampleInterval })
    .option('process-samples-every', { type: 'number', requiresArg: true, default: 1, describe: 'per-process samples with every Nth sample (0: none)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the podman command and run nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
    .option('as-user', { type: 'string', requiresArg: true, describe: 'when root: run the rootless part as this user' });
}

/** The run's profile with the flags applied (every launching command calls it first: it also checks the flags). */
export async function profileFromArgs(args: LaunchArgs) {
  const every = args['process-samples-every'];
  if (!Number.isInteger(every) || every < 0) throw new ConfigError(`--process-samples-every must be a whole number >= 0, got ${every}`);
  const { applyOverrides, loadProfile } = await import('../profiles.js');
  return applyOverrides(loadProfile(args.profile), {
    memory: args.memory,
    memorySwap: args['memory-swap'],
    cpus: args.cpus,
    pidsLimit: args['pids-limit'],
    timeout: args.timeout,
    memoryHigh: args['memory-high'],
    memoryLow: args['memory-low'],
    cpuWeight: args['cpu-weight'],
  });
}

export function trialLaunchFrom(args: LaunchArgs): TrialLaunch {
  return { model: args.model, shareMode: args.share, runtime: args.runtime, claude: args.claude, sampleIntervalMs: args['sample-interval'], processSampleEvery: args['process-samples-every'] };
}

/** As root: re-exec as --as-user, or refuse with what to do. Returns an exit code when it re-executed. */
export async function rootlessGuard(args: Pick<LaunchArgs, 'dry-run' | 'as-user'>): Promise<number | undefined> {
  const { isRoot, reexecAsUser } = await import('../as-user.js');
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
