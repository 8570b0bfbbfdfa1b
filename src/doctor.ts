// `agentpod doctor`: can this machine launch runs, and will their limits be enforced? Facts are gathered
// once (impure), then judged by a pure function, so every verdict is unit-tested.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { release, userInfo } from 'node:os';
import { podmanInfo } from './podman/client.js';
import { cgroupLayout, type CgroupLayout } from './sampler/layout.js';
import { chooseRuntime, resolveClaude } from './run/resolve.js';
import { SHARED_PATHS_RW, SYSTEM_PATHS_RO } from './launch-spec.js';

export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  level: CheckLevel;
  detail: string;
  /** One line: what to do about a warn or fail. */
  fix?: string;
}

export interface DoctorFacts {
  uid: number;
  user: string;
  podman: { version: string; rootless: boolean; cgroupVersion: string; cgroupControllers: string[]; runtime: string; storageDriver: string } | { error: string };
  subuid: boolean;
  subgid: boolean;
  cgroupLayout: CgroupLayout;
  /** Controllers systemd delegated to this user (v2), or null when not readable. */
  delegatedControllers: string[] | null;
  chosenRuntime: string | null;
  runtimesOnPath: string[];
  claude: { path: string; shared: boolean } | { error: string };
  credentials: { env: string[]; file: boolean };
  /** os.release(), e.g. "6.1.0-18-amd64": native rootless overlay needs Linux >= 5.13. */
  kernel: string;
}

export function hasSubIdRange(file: string, user: string, uid: number): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .some((line) => {
        const [owner, , count] = line.split(':');
        return (owner === user || owner === String(uid)) && Number(count) > 0;
      });
  } catch {
    return false;
  }
}

function delegatedControllers(uid: number): string[] | null {
  const file = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service/cgroup.controllers`;
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return null;
  }
}

const isShared = (path: string) => [...SYSTEM_PATHS_RO, ...SHARED_PATHS_RW].some((p) => path === p || path.startsWith(`${p}/`));

export async function gatherFacts(): Promise<DoctorFacts> {
  const info = userInfo();
  let podman: DoctorFacts['podman'];
  try {
    const p = await podmanInfo();
    podman = {
      version: p.version.Version,
      rootless: p.host.security.rootless,
      cgroupVersion: p.host.cgroupVersion,
      cgroupControllers: p.host.cgroupControllers ?? [],
      runtime: p.host.ociRuntime.name,
      storageDriver: p.store.graphDriverName,
    };
  } catch (e) {
    podman = { error: (e as Error).message };
  }
  let claude: DoctorFacts['claude'];
  try {
    const path = resolveClaude();
    claude = { path, shared: isShared(path) };
  } catch (e) {
    claude = { error: (e as Error).message };
  }
  const home = process.env.HOME ?? info.homedir;
  return {
    uid: info.uid,
    user: info.username,
    podman,
    subuid: hasSubIdRange('/etc/subuid', info.username, info.uid),
    subgid: hasSubIdRange('/etc/subgid', info.username, info.uid),
    cgroupLayout: cgroupLayout(),
    delegatedControllers: delegatedControllers(info.uid),
    chosenRuntime: chooseRuntime(),
    runtimesOnPath: ['crun', 'runc'].filter((r) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, r)))),
    claude,
    credentials: {
      env: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'].filter((n) => Boolean(process.env[n])),
      file: existsSync(join(home, '.claude', '.credentials.json')),
    },
    kernel: release(),
  };
}

/** Native overlay in a user namespace needs Linux 5.13 or later. */
export function kernelHasRootlessOverlay(kernel: string): boolean {
  const [major, minor] = kernel.split(/[.-]/).map(Number);
  return major > 5 || (major === 5 && minor >= 13);
}

/**
 * The storage driver decides what big images cost. vfs has no copy-on-write: every container start and every
 * commit copies the whole image (measured on a 1 GB image with 100k files: 10–19 s per keep-id launch, against
 * 0.2 s warm on overlay; docs/benchmarks.md has the figures for 1 and 4 GB).
 */
export function storageCheck(driver: string, kernel: string): Check {
  if (driver !== 'vfs') return { name: 'storage driver', level: 'ok', detail: `${driver}${driver === 'overlay' ? ' (copy-on-write: a container start does not copy the image)' : ''}` };
  const conf = '~/.config/containers/storage.conf';
  return {
    name: 'storage driver',
    level: 'warn',
    detail: 'vfs: every container start and commit copies the whole image (measured: 10–19 s per launch of a 1 GB, 100k-file image; 0.2 s on overlay)',
    fix: kernelHasRootlessOverlay(kernel)
      ? `this kernel (${kernel}) runs native rootless overlay: podman system reset (the vfs store's images are lost: pull them again), then put [storage] driver = "overlay" in ${conf}`
      : `this kernel (${kernel}) is older than 5.13: apt-get install fuse-overlayfs, then put [storage] driver = "overlay" and [storage.options.overlay] mount_program = "/usr/bin/fuse-overlayfs" in ${conf} (after podman system reset)`,
  };
}

export function evaluate(f: DoctorFacts): Check[] {
  const checks: Check[] = [];
  const p = f.podman;
  if ('error' in p) {
    checks.push({ name: 'podman', level: 'fail', detail: p.error, fix: 'install podman (Debian: apt-get install -y podman uidmap runc)' });
  } else {
    checks.push({ name: 'podman', level: 'ok', detail: `podman ${p.version}` });
  }
  checks.push(
    f.uid === 0
      ? { name: 'rootless', level: 'warn', detail: 'running as root: --userns=keep-id is rootless-only', fix: 'run agentpod as a normal user, or pass --as-user NAME' }
      : { name: 'rootless', level: 'ok', detail: `user ${f.user} (uid ${f.uid})` },
  );
  if (f.uid !== 0) {
    const ids = f.subuid && f.subgid;
    checks.push(
      ids
        ? { name: 'subuid/subgid', level: 'ok', detail: `ranges for ${f.user} in /etc/subuid and /etc/subgid` }
        : { name: 'subuid/subgid', level: 'fail', detail: `no ${!f.subuid ? '/etc/subuid' : '/etc/subgid'} range for ${f.user}`, fix: `as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${f.user}` },
    );
  }
  const wanted = ['memory', 'cpu', 'pids'];
  if (f.cgroupLayout === 'v2') {
    const delegated = f.delegatedControllers ?? ('error' in p ? [] : p.cgroupControllers);
    const missing = wanted.filter((c) => !delegated.includes(c));
    checks.push(
      missing.length === 0
        ? { name: 'cgroup limits', level: 'ok', detail: `cgroup v2, delegated: ${delegated.join(' ')}: --memory/--cpus/--pids-limit are enforced` }
        : {
            name: 'cgroup limits',
            level: 'warn',
            detail: `cgroup v2, but ${missing.join(', ')} not delegated to ${f.user}: those limits are ignored`,
            fix: 'add Delegate=cpu cpuset io memory pids to user@.service (systemctl edit user@.service), then log in again',
          },
    );
  } else {
    checks.push({
      name: 'cgroup limits',
      level: 'warn',
      detail: `cgroup ${f.cgroupLayout}: rootless --memory/--cpus are ignored; samples fall back to /proc process trees`,
      fix: 'boot with systemd.unified_cgroup_hierarchy=1 for enforced limits and cgroup samples',
    });
  }
  const runtime = f.chosenRuntime ?? ('error' in p ? null : p.runtime);
  if (f.cgroupLayout !== 'v2' && runtime === 'crun') {
    checks.push({ name: 'OCI runtime', level: 'fail', detail: 'crun refuses cgroups in hybrid/v1 mode', fix: 'apt-get install runc (agentpod then picks --runtime runc)' });
  } else if (runtime && !f.runtimesOnPath.includes(runtime)) {
    checks.push({ name: 'OCI runtime', level: 'fail', detail: `${runtime} not found on PATH`, fix: `install ${runtime}, or pass --runtime` });
  } else {
    checks.push({ name: 'OCI runtime', level: 'ok', detail: `${runtime ?? 'podman default'}${f.chosenRuntime ? ' (chosen by agentpod: --runtime)' : ''}` });
  }
  if (!('error' in p)) checks.push(storageCheck(p.storageDriver, f.kernel));
  const c = f.claude;
  if ('error' in c) checks.push({ name: 'claude', level: 'fail', detail: c.error, fix: 'npm i -g @anthropic-ai/claude-code' });
  else checks.push({ name: 'claude', level: 'ok', detail: c.shared ? `${c.path} (inside the shared paths)` : `${c.path} (outside the shared paths: its folder is mounted read-only)` });
  const cred = f.credentials;
  checks.push(
    cred.env.length || cred.file
      ? { name: 'credentials', level: 'ok', detail: [...cred.env.map((n) => `$${n} set`), ...(cred.file ? ['~/.claude/.credentials.json present'] : [])].join(', ') }
      : { name: 'credentials', level: 'warn', detail: 'no ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN or ~/.claude/.credentials.json', fix: 'export ANTHROPIC_API_KEY, or run `claude` once to log in (the offline demo needs none)' },
  );
  return checks;
}
