// Rootless podman inside a batch job. Compute nodes have no login session: no systemd user instance (so
// podman's systemd cgroup manager and journald events would fail or warn), often no /run/user/UID (the
// submitting shell's XDG_RUNTIME_DIR may come along and point nowhere), and homes on network filesystems
// where overlay storage does not work. What to do is decided by a pure function of the node's facts
// (podmanJobSetup); setUpPodman gathers them and applies the decision to this process.
import { mkdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { podmanInfo, setPodmanGlobalArgs } from '../podman/client.js';

/** Network and cluster filesystems (statfs f_type): podman's storage must not live there (podman#10039). */
const NETWORK_FS: Record<number, string> = {
  0x6969: 'nfs',
  0xff534d42: 'cifs',
  0xfe534d42: 'smb2',
  0x517b: 'smb',
  0x0bd00bd0: 'lustre',
  0x47504653: 'gpfs',
  0x19830326: 'beegfs',
  0x00c36400: 'ceph',
  0x5346414f: 'afs',
  0x01021997: '9p',
  0xaad7aaea: 'panfs',
  0x65735546: 'fuse',
};

export function networkFilesystem(type: number | null): string | null {
  return type === null ? null : (NETWORK_FS[type] ?? null);
}

export interface NodeFacts {
  uid: number;
  /** XDG_RUNTIME_DIR as the job got it (sbatch exports the submitter's by default). */
  xdgRuntimeDir: string | undefined;
  /** That directory exists, belongs to uid and only uid can enter it. */
  xdgRuntimeDirUsable: boolean;
  /** podman's graph root with the user's own configuration, or null when podman could not say. */
  graphRoot: string | null;
  /** statfs type of the graph root (or of its nearest existing parent). */
  graphRootFsType: number | null;
  /** Node-local directory of this user's agentpod files: /tmp/agentpod-UID unless AGENTPOD_NODE_DIR says otherwise. */
  nodeDir: string;
}

export interface PodmanJobSetup {
  /** Variables to set in agentpod's environment (children inherit them: podman, conmon's cleanup, srun). */
  env: Record<string, string>;
  /** Global options of every podman call. */
  globalArgs: string[];
  storage: { kind: 'user'; graphRoot: string | null } | { kind: 'node'; root: string; runRoot: string; reason: string };
  /** What was decided and why, for the task's log. */
  notes: string[];
}

/**
 * Stable per user and node, not per job: podman records its runtime and tmp dirs in its database and refuses
 * another one later ("database configuration mismatch"). /tmp/podman-run-UID is where podman itself falls back
 * to when it has no runtime dir, so a store used outside jobs on the same node keeps one configuration.
 */
export const runtimeDirFor = (uid: number) => `/tmp/podman-run-${uid}`;

/** No systemd user session in a job: cgroupfs and a file events log, said explicitly rather than left to fall back. */
export const JOB_PODMAN_ARGS = ['--cgroup-manager=cgroupfs', '--events-backend=file'];

export function podmanJobSetup(f: NodeFacts): PodmanJobSetup {
  const notes: string[] = [];
  const env: Record<string, string> = {};
  if (f.xdgRuntimeDir && f.xdgRuntimeDirUsable) notes.push(`runtime dir ${f.xdgRuntimeDir} (from the job's environment)`);
  else {
    env.XDG_RUNTIME_DIR = runtimeDirFor(f.uid);
    notes.push(`runtime dir ${env.XDG_RUNTIME_DIR} (${f.xdgRuntimeDir ? `XDG_RUNTIME_DIR=${f.xdgRuntimeDir} is not a usable directory of this user here` : 'no XDG_RUNTIME_DIR in the job'})`);
  }
  const globalArgs = [...JOB_PODMAN_ARGS];
  const network = networkFilesystem(f.graphRootFsType);
  let storage: PodmanJobSetup['storage'];
  if (f.graphRoot && !network) {
    storage = { kind: 'user', graphRoot: f.graphRoot };
    notes.push(`storage: the user's own, ${f.graphRoot} (local disk: its localhost/ images are usable)`);
  } else {
    const reason = f.graphRoot ? `${f.graphRoot} is on ${network}` : 'podman could not say where its storage is';
    storage = { kind: 'node', root: join(f.nodeDir, 'storage'), runRoot: join(f.nodeDir, 'run'), reason };
    globalArgs.push('--root', storage.root, '--runroot', storage.runRoot);
    notes.push(`storage: per node, ${storage.root} (${reason}; images are pulled into it, or come from an additional image store)`);
  }
  return { env, globalArgs, storage, notes };
}

/** Node-local directory of this user's agentpod files (shards being written, per-node storage, locks). */
export function nodeDirFor(uid: number, env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENTPOD_NODE_DIR ?? `/tmp/agentpod-${uid}`;
}

export function isUsableRuntimeDir(dir: string | undefined, uid: number): boolean {
  if (!dir) return false;
  try {
    const st = statSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** statfs type of `path`, or of its nearest existing parent (a store not made yet). */
export function filesystemType(path: string): number | null {
  for (let p = path; ; p = join(p, '..')) {
    try {
      return Number(statfsSync(p).type);
    } catch {
      if (p === '/') return null;
    }
  }
}

/** Makes a private directory of this user (0700), refusing one that belongs to someone else. */
export function ensurePrivateDir(dir: string, uid: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== uid) throw new Error(`${dir} belongs to uid ${st.uid}, not to this user (${uid})`);
}

/** Decides and applies podman's settings for this job; returns them for the log. */
export async function setUpPodman(uid: number, env: NodeJS.ProcessEnv): Promise<PodmanJobSetup> {
  const nodeDir = nodeDirFor(uid, env);
  ensurePrivateDir(nodeDir, uid);
  const facts = { uid, xdgRuntimeDir: env.XDG_RUNTIME_DIR, xdgRuntimeDirUsable: isUsableRuntimeDir(env.XDG_RUNTIME_DIR, uid), nodeDir };
  const { env: runtimeEnv } = podmanJobSetup({ ...facts, graphRoot: null, graphRootFsType: null });
  Object.assign(env, runtimeEnv);
  if (runtimeEnv.XDG_RUNTIME_DIR) ensurePrivateDir(runtimeEnv.XDG_RUNTIME_DIR, uid);
  // Where the user's own storage is, asked of podman with the job's settings but no storage override.
  setPodmanGlobalArgs(JOB_PODMAN_ARGS);
  let graphRoot: string | null = null;
  try {
    graphRoot = (await podmanInfo()).store.graphRoot ?? null;
  } catch {
    /* podman cannot use its storage here: per-node storage */
  }
  const setup = podmanJobSetup({ ...facts, graphRoot, graphRootFsType: graphRoot ? filesystemType(graphRoot) : null });
  setPodmanGlobalArgs(setup.globalArgs);
  return setup;
}
