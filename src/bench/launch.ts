// Launch overhead: `agentpod run` against the identical `podman run --rm` argv typed by hand (taken from
// `agentpod run --dry-run --json`; --rm so that it too removes its container), same image, same agent, same
// scripted API, alternated N times.
import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options, type Result } from 'execa';
import { isRoot, lookupUser } from '../as-user.js';
import { loadScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { claudeProjectDirName } from '../paths.js';
import type { Bench, BenchFigure } from './figures.js';
import { alternate, elapsedMs, median, ratio, timeMs } from './stats.js';
import { BASE_IMAGE } from '../podman/image.js';

/** The same two turns the run integration test plays. */
const SCRIPT_FILE = join(packageRoot, 'traces', 'scripts', 'hello-file.yaml');

const CLI = join(packageRoot, 'dist', 'cli.js');

export interface BenchUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Rootless podman needs a normal user: as root, $AGENTPOD_TEST_USER (default "agentpod"); else ourselves. */
export function benchUser(): BenchUser {
  if (isRoot()) return lookupUser(process.env.AGENTPOD_TEST_USER ?? 'agentpod');
  return { name: process.env.USER ?? String(process.getuid!()), uid: process.getuid!(), gid: process.getgid!(), home: process.env.HOME ?? tmpdir() };
}

/**
 * Runs a command as the bench user with a small fixed environment, so both sides of a comparison see exactly
 * the same variables (root's XDG_* would point podman at root's state).
 */
export function runAsBenchUser(user: BenchUser, file: string, args: string[], env: Record<string, string>, options: Options = {}): Promise<Result> {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, USER: user.name, LOGNAME: user.name, LANG: 'C.UTF-8' };
  return execa(file, args, {
    ...(isRoot() ? { uid: user.uid, gid: user.gid } : {}),
    env: { ...base, ...env },
    extendEnv: false,
    cwd: '/',
    reject: false,
    stdin: 'ignore',
    ...options,
  }) as Promise<Result>;
}

/** A fresh temp dir the bench user owns. */
export function benchTempDir(user: BenchUser, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot()) chownSync(dir, user.uid, user.gid);
  return dir;
}

function valueAfter(argv: string[], flag: string): number {
  const i = argv.indexOf(flag);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`dry-run argv has no ${flag}`);
  return i + 1;
}

/** The dry-run argv with a fresh container name and session id, as each real run has. */
function freshRawArgv(template: string[]): string[] {
  const argv = [...template];
  argv[valueAfter(argv, '--name')] = `agentpod-bench-raw-${randomUUID().slice(0, 8)}`;
  argv[valueAfter(argv, '--session-id')] = randomUUID();
  return argv;
}

export function mustSucceed(what: string, r: Result): Result {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

/**
 * The raw baseline: the given `podman run` argv by hand with `--rm` (it removes its container, as agentpod
 * does), output to a file as agentpod's goes to stdout.jsonl. Returns its time.
 */
export async function timedRawRun(user: BenchUser, podmanBin: string, argv: string[], env: Record<string, string>, stdoutFile: string): Promise<number> {
  const withRm = argv[0] === 'run' ? ['run', '--rm', ...argv.slice(1)] : argv;
  const started = process.hrtime.bigint();
  const r = await runAsBenchUser(user, podmanBin, withRm, env, { stdout: { file: stdoutFile } });
  const ms = elapsedMs(started);
  mustSucceed('raw podman run --rm', r);
  return ms;
}

/** What agentpod does on the launch path that the raw side does not (docs/benchmarks.md has the measured costs). */
const LAUNCH_PATH_NOTE =
  'On agentpod\'s path and not the raw one: its node start and module loading, the base-image check (podman image exists), ' +
  'the run\'s rows, folder and stored figures, the sampler\'s podman inspect until the container runs, and after the exit ' +
  'podman inspect (exit code, OOMKilled) before the removal; the leftover sweep, host snapshot and trace watch run alongside';

/**
 * What the steps on agentpod's path cost on their own (median of 5 each), so the overhead can be read: the CLI
 * up to the podman argv (node start, modules, profile, spec: `run --dry-run`), the image check, and the
 * inspect and removal of an exited container (the raw side's --rm removes too, inside podman run).
 */
async function pathCostFigures(user: BenchUser, podmanBin: string, env: Record<string, string>, workdir: string, prompt: string): Promise<BenchFigure[]> {
  const times = async (fn: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) ms.push(await timeMs(fn));
    return Math.round(median(ms));
  };
  const podman = (args: string[]) => runAsBenchUser(user, podmanBin, args, env);
  const dryRun = await times(async () => mustSucceed('agentpod run --dry-run', await runAsBenchUser(user, process.execPath, [CLI, 'run', '--dry-run', '--json', '--workdir', workdir, prompt], env)));
  const bareNode = await times(() => runAsBenchUser(user, process.execPath, ['-e', '0'], env));
  const exists = await times(async () => mustSucceed('podman image exists', await podman(['image', 'exists', BASE_IMAGE])));
  let inspectMs = 0;
  let rmMs = 0;
  for (let i = 0; i < 5; i++) {
    const name = `agentpod-bench-exited-${randomUUID().slice(0, 8)}`;
    mustSucceed('podman run', await podman(['run', '--name', name, '--network=none', '-v', '/usr:/usr:ro', '-v', '/lib:/lib:ro', '-v', '/lib64:/lib64:ro', BASE_IMAGE, '/usr/bin/true']));
    inspectMs += await timeMs(async () => mustSucceed('podman container inspect', await podman(['container', 'inspect', name])));
    rmMs += await timeMs(async () => mustSucceed('podman rm', await podman(['rm', '-f', '--ignore', '-t', '0', name])));
  }
  const step = (name: string, value: number, note: string): BenchFigure => ({ name: `launch path: ${name}`, value, unit: 'ms', note });
  return [
    step('agentpod run --dry-run (node start, modules, profile, spec)', dryRun, `median of 5; bare node -e 0: ${bareNode} ms`),
    step('podman image exists (the image check, overlapped with module loading)', exists, 'median of 5'),
    step('podman container inspect of the exited container', Math.round(inspectMs / 5), 'mean of 5; on agentpod\'s path after the exit (exit code, OOMKilled)'),
    step('podman rm of the exited container', Math.round(rmMs / 5), 'mean of 5; the raw side removes too (--rm), inside its podman run'),
  ];
}

export const runLaunchBench: Bench = async ({ quick }) => {
  const runs = quick ? 3 : 7;
  const user = benchUser();
  const api = await startMockApi(loadScript(SCRIPT_FILE));
  const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-agentpod-bench', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const dataDir = benchTempDir(user, 'agentpod-bench-data-');
  const workdir = benchTempDir(user, 'agentpod-bench-work-');
  const prompt = 'Say hello in a file.';
  try {
    const agentpodRun = async () => {
      const r = await runAsBenchUser(user, process.execPath, [CLI, 'run', '--data-dir', dataDir, '--workdir', workdir, prompt], env);
      mustSucceed('agentpod run', r);
    };
    const dry = await runAsBenchUser(user, process.execPath, [CLI, 'run', '--dry-run', '--json', '--workdir', workdir, prompt], env);
    mustSucceed('agentpod run --dry-run', dry);
    const [podmanBin, ...template] = (JSON.parse(String(dry.stdout)) as { argv: string[] }).argv;
    const rawRun = () => timedRawRun(user, podmanBin, freshRawArgv(template), env, join(workdir, 'raw-stdout.jsonl'));

    // Warm-up (not counted): the first agentpod run imports the base image and sweeps; caches fill.
    await agentpodRun();
    await rawRun();
    const { subjectMs: agentpodMs, baselineMs: rawMs } = await alternate(runs, agentpodRun, rawRun);
    const value = median(agentpodMs);
    const baseline = median(rawMs);
    const figure: BenchFigure = {
      name: 'launch: agentpod run vs raw podman run --rm (same argv, 2-turn scripted agent)',
      value: Math.round(value),
      unit: 'ms',
      baseline: Math.round(baseline),
      ratio: ratio(value, baseline),
      goal: 'ratio <= 1.07 (<= 100 ms)',
      note: `median of ${runs} alternated runs each; overhead ${Math.round(value - baseline)} ms. ${LAUNCH_PATH_NOTE}`,
    };
    const steps = await pathCostFigures(user, podmanBin, env, workdir, prompt).catch((e: Error): BenchFigure[] => [
      { name: 'launch path: step costs', value: null, unit: 'ms', note: `not measured: ${e.message.slice(0, 200)}` },
    ]);
    return [figure, ...steps];
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
    // The agent's traces for this work dir (one per run) are the bench's, not the user's.
    rmSync(join(user.home, '.claude', 'projects', claudeProjectDirName(workdir)), { recursive: true, force: true });
  }
};
