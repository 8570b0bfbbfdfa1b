// Thin execa wrappers around the podman CLI. Failures carry the command and its output.
import { execa, type Options } from 'execa';
import { UserError } from '../errors.js';

/** A user error: the message carries the command and the tail of podman's output, no stack needed. */
export class PodmanError extends UserError {
  constructor(
    readonly argv: string[],
    readonly podmanExitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`podman ${argv.join(' ')} failed (exit ${podmanExitCode ?? '?'}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  }
}

export const PODMAN = process.env.AGENTPOD_PODMAN ?? 'podman';

let globalArgs: readonly string[] = [];

/**
 * Options put before every podman subcommand agentpod runs, for the rest of the process: a Slurm array task sets
 * the cgroup manager, the events backend and, off a local disk, the storage (slurm/podman-env.ts).
 */
export function setPodmanGlobalArgs(args: string[]): void {
  globalArgs = [...args];
}

export const podmanGlobalArgs = (): readonly string[] => globalArgs;

/** Runs podman from a neutral cwd: conmon drops an `oom` file into podman's cwd on some versions. */
export async function podman(args: string[], options: Options = {}): Promise<string> {
  let result;
  try {
    result = await execa(PODMAN, [...globalArgs, ...args], { reject: false, cwd: '/', stdin: 'ignore', ...options });
  } catch (e) {
    throw new PodmanError(args, undefined, (e as Error).message);
  }
  if (result.failed) {
    const missing = (result as { code?: string }).code === 'ENOENT';
    if (missing) throw new UserError(`podman not found (${PODMAN}): install it (apt-get install podman) or point AGENTPOD_PODMAN at it`);
    throw new PodmanError(args, result.exitCode, String(result.stderr ?? result.message));
  }
  return String(result.stdout ?? '');
}

export async function podmanJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await podman(args)) as T;
}

/** The parts of `podman info --format json` agentpod reads (doctor, host snapshots). */
export interface PodmanInfo {
  host: {
    cgroupVersion: string;
    cgroupControllers: string[] | null;
    ociRuntime: { name: string };
    security: { rootless: boolean };
  };
  store: { graphDriverName: string; graphRoot?: string; runRoot?: string };
  version: { Version: string };
}

export function podmanInfo(): Promise<PodmanInfo> {
  return podmanJson<PodmanInfo>(['info', '--format', 'json']);
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  ExitCode: number;
  OOMKilled: boolean;
  Pid: number;
  StartedAt: string;
  FinishedAt: string;
  CgroupPath?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: ContainerState;
  Config: { Labels: Record<string, string> | null };
}

/** podman inspect of one container, or undefined when it does not exist. */
export async function inspectContainer(nameOrId: string): Promise<ContainerInspect | undefined> {
  try {
    const [info] = await podmanJson<ContainerInspect[]>(['container', 'inspect', nameOrId]);
    return info;
  } catch (e) {
    if (e instanceof PodmanError && /no such (container|object)/i.test(e.stderr)) return undefined;
    throw e;
  }
}

export async function removeContainer(nameOrId: string): Promise<void> {
  await podman(['rm', '-f', '--ignore', '-t', '0', nameOrId]);
}
