// The podman command for a launch spec: a pure function, so every flag is unit-tested without podman.
import { dirname } from 'node:path';
import { SHARED_PATHS_RW, SYSTEM_PATHS_RO, type LaunchSpec, type Mount } from '../launch-spec.js';

/** The container's PATH unless spec.env sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Bind mounts (tmpfs ones are added in podmanRunArgv). */
export function containerMounts(spec: LaunchSpec): Mount[] {
  const mounts: Mount[] = SYSTEM_PATHS_RO.filter((p) => spec.hostPaths.includes(p)).map((p) => ({ source: p, target: p, readOnly: true }));
  const claudeDir = `${spec.user.home}/.claude`;
  if (spec.shareMode === 'host') {
    const shared = SHARED_PATHS_RW.filter((p) => spec.hostPaths.includes(p));
    mounts.push(...shared.map((p) => ({ source: p, target: p, readOnly: false })));
    if (!shared.some((p) => isUnder(spec.user.home, p))) mounts.push({ source: spec.user.home, target: spec.user.home, readOnly: false });
  } else {
    mounts.push({ source: claudeDir, target: claudeDir, readOnly: false });
  }
  const covered = (path: string) => mounts.some((m) => isUnder(path, m.target));
  if (spec.workdirOnHost && !covered(spec.workdir)) mounts.push({ source: spec.workdir, target: spec.workdir, readOnly: false });
  if (!covered(spec.claudePath)) {
    const dir = dirname(spec.claudePath);
    mounts.push({ source: dir, target: dir, readOnly: true });
  }
  return [...mounts, ...spec.extraMounts];
}

export function claudeArgs(spec: LaunchSpec): string[] {
  return [
    spec.claudePath,
    '-p',
    '--session-id',
    spec.sessionId,
    '--output-format',
    'stream-json',
    '--verbose',
    // The container is the sandbox; nobody is there to answer permission prompts.
    '--dangerously-skip-permissions',
    ...(spec.model ? ['--model', spec.model] : []),
  ];
}

/**
 * Soft limits. podman 4.3 has no flag for memory.high or cpu.weight: they go to the cgroup as written
 * (--cgroup-conf, cgroup v2 only; ignored where rootless containers get no cgroup, which the run then reports).
 * memory.low is podman's --memory-reservation (crun and runc write it as memory.low on v2).
 */
export function softLimitArgs(limits: LaunchSpec['profile']): string[] {
  const args: string[] = [];
  if (limits.memoryLowBytes != null) args.push('--memory-reservation', `${limits.memoryLowBytes}b`);
  if (limits.memoryHighBytes != null) args.push('--cgroup-conf', `memory.high=${limits.memoryHighBytes}`);
  if (limits.cpuWeight != null) args.push('--cgroup-conf', `cpu.weight=${limits.cpuWeight}`);
  return args;
}

/** Seconds after which conmon itself kills the container: a backstop should agentpod die. */
export function backstopTimeoutSeconds(spec: LaunchSpec): number | null {
  const t = spec.profile.timeoutMs;
  return t === null ? null : Math.ceil(t / 1000) + spec.stopGraceSeconds + 60;
}

/**
 * The full `podman run` argv (without the leading "podman"). With promptDelivery "argv" the prompt is the
 * last element, untouched; with "stdin" it is fed on stdin and `-i` is set.
 */
export function podmanRunArgv(spec: LaunchSpec, prompt: string | null): string[] {
  const { profile, user } = spec;
  const argv = ['run', '--name', spec.containerName, '--userns=keep-id', '--network=host', '--security-opt', 'no-new-privileges'];
  if (spec.runtime) argv.push('--runtime', spec.runtime);
  for (const [key, value] of Object.entries(spec.labels)) argv.push('--label', `${key}=${value}`);
  if (profile.memoryBytes !== null) argv.push('--memory', `${profile.memoryBytes}b`);
  if (profile.memorySwapBytes !== null) argv.push('--memory-swap', `${profile.memorySwapBytes}b`);
  if (profile.cpus !== null) argv.push('--cpus', String(profile.cpus));
  if (profile.pidsLimit !== null) argv.push('--pids-limit', String(profile.pidsLimit));
  argv.push(...softLimitArgs(profile));
  const backstop = backstopTimeoutSeconds(spec);
  if (backstop !== null) argv.push('--timeout', String(backstop));
  if (spec.shareMode === 'narrow') {
    argv.push('--mount', `type=tmpfs,destination=${user.home},chown=true`, '--mount', 'type=tmpfs,destination=/tmp');
  }
  for (const m of containerMounts(spec)) argv.push('-v', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
  const env: Record<string, string> = { HOME: user.home, USER: user.name, PATH: DEFAULT_PATH, ...spec.env };
  for (const [key, value] of Object.entries(env)) argv.push('-e', `${key}=${value}`);
  for (const name of spec.passEnv) argv.push('-e', name);
  argv.push('--workdir', spec.workdir);
  if (spec.promptDelivery === 'stdin') argv.push('-i');
  argv.push(spec.image, ...claudeArgs(spec));
  if (spec.promptDelivery === 'argv') {
    if (prompt === null) throw new Error('podmanRunArgv: promptDelivery "argv" needs the prompt');
    argv.push(prompt);
  }
  return argv;
}

/** POSIX shell quoting, for showing a command a user can paste. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
