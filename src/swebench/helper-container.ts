// Short-lived helper containers (the permission fix, reading /issue.md): no network, the host's system
// paths mounted read-only as in a run (SWE-bench-style images may hold nothing but /testbed), and the
// owner labels, so that the leftover sweep removes them should agentpod die.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { podman } from '../podman/client.js';
import { chooseRuntime } from '../run/resolve.js';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID, SYSTEM_PATHS_RO } from '../launch-spec.js';

export interface HelperRun {
  image: string;
  command: string[];
  /** Kept after exit under this name (for `podman commit`); without it the container is --rm. */
  keepAs?: string;
  user?: string;
}

export function helperRunArgv(h: HelperRun, hostPaths = SYSTEM_PATHS_RO.filter((p) => existsSync(p))): string[] {
  const argv = ['run', h.keepAs ? `--name=${h.keepAs}` : '--rm', '--network=none', '--security-opt', 'no-new-privileges'];
  const runtime = chooseRuntime();
  if (runtime) argv.push('--runtime', runtime);
  argv.push('--label', `${LABEL_OWNER_PID}=${process.pid}`, '--label', `${LABEL_OWNER_HOST}=${hostname()}`);
  for (const p of hostPaths) argv.push('-v', `${p}:${p}:ro`);
  if (h.user) argv.push('--user', h.user);
  argv.push(h.image, ...h.command);
  return argv;
}

/** Runs the helper to its end; resolves with its stdout, rejects with a PodmanError. */
export function runHelper(h: HelperRun): Promise<string> {
  return podman(helperRunArgv(h));
}
