// Root cannot use --userns=keep-id (it is rootless-only): `--as-user NAME` re-runs the same agentpod
// command as that user, so the rootless part (podman, the agent, its trace) belongs to them.
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { UserError } from './errors.js';

export const isRoot = () => process.getuid?.() === 0;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function lookupUser(name: string): PasswdEntry {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    throw new UserError(`--as-user ${name}: no such user (create one with: useradd -m ${name})`, 2);
  }
  const [, , uid, gid, , home] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** Root-specific variables that would point the user's podman at root's state. */
const DROP_ENV = ['XDG_RUNTIME_DIR', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'DBUS_SESSION_BUS_ADDRESS', 'SUDO_USER', 'SUDO_UID', 'SUDO_GID'];

/** argv without `--as-user NAME` / `--as-user=NAME`. */
export function withoutAsUser(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--as-user') i++;
    else if (!args[i].startsWith('--as-user=')) out.push(args[i]);
  }
  return out;
}

/**
 * Re-executes this agentpod invocation as `name`; resolves with its exit code. The child is spawned with the
 * user's uid/gid directly (not through runuser, which SIGKILLs its child 2 s after a SIGTERM and would cut
 * agentpod's cleanup short).
 */
export async function reexecAsUser(name: string, args: string[]): Promise<number> {
  const user = lookupUser(name);
  if (user.uid === 0) throw new UserError(`--as-user ${name}: that is root; name an unprivileged user`, 2);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: user.home, USER: name, LOGNAME: name };
  for (const key of DROP_ENV) delete env[key];
  const child = execa(process.execPath, [process.argv[1], ...withoutAsUser(args)], {
    uid: user.uid,
    gid: user.gid,
    env,
    extendEnv: false,
    stdio: 'inherit',
    reject: false,
  });
  // On a terminal, Ctrl-C reaches the child through the shared process group; otherwise pass signals on.
  const forward = (sig: NodeJS.Signals) => {
    if (sig === 'SIGTERM' || !process.stdin.isTTY) child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const result = await child;
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return result.exitCode ?? 1;
}
