// Finding what to sample: wait until podman reports the container's init pid, then pick the container's own
// cgroup (v2 first, then v1) or, when it has none, its process tree in /proc.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupLayout } from './layout.js';
import { inspectContainer } from '../podman/client.js';
import { openCgroupV1Source, type CgroupV1Dirs } from './cgroup-v1.js';
import { openCgroupV2Source } from './cgroup-v2.js';
import { parseProcCgroup } from './parse.js';
import { openProcSource } from './proc.js';
import type { SampleSource } from './sample.js';
import { locateSlurmStep, openSlurmStepSource, type SlurmStepLocation } from './slurm-step.js';

export interface RunningContainer {
  id: string;
  /** Host pid of the container's init process. */
  pid: number;
}

export type SourceLocation =
  | { kind: 'cgroup-v2'; dir: string }
  | { kind: 'cgroup-v1'; dirs: CgroupV1Dirs }
  | { kind: 'proc'; pid: number; reason: string }
  | { kind: 'slurm-step'; step: SlurmStepLocation };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `podman inspect` until the container runs (State.Pid > 0). Null when it exited before being seen
 * running, or when shouldStop() turns true first. Only this step spawns processes; sampling never does.
 */
export async function waitForRunningContainer(
  name: string,
  shouldStop: () => boolean,
  pollMs: number,
  log: (line: string) => void,
): Promise<RunningContainer | null> {
  let lastError = '';
  while (!shouldStop()) {
    try {
      const info = await inspectContainer(name);
      if (info && info.State.Pid > 0) return { id: info.Id, pid: info.State.Pid };
      if (info && ['exited', 'stopped', 'removing'].includes(info.State.Status)) return null;
    } catch (e) {
      // Not fatal (podman busy, a transient lock error): say it once and keep polling.
      const message = (e as Error).message;
      if (message !== lastError) log(`sampler: podman inspect ${name}: ${message}`);
      lastError = message;
    }
    await sleep(pollMs);
  }
  return null;
}

const CGROUP_V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'blkio', 'pids'] as const;

/**
 * The container's own cgroup is one whose path names its id (libpod-<id>.scope, possibly with crun's
 * `container` child). Rootless containers on v1/hybrid hosts are left in the user's session cgroup, shared
 * with other processes: sampling it would measure them too, so the process tree is used instead.
 */
export function locateSource(container: RunningContainer, cgroupRoot = '/sys/fs/cgroup', procRoot = '/proc'): SourceLocation {
  const proc = (reason: string): SourceLocation => ({ kind: 'proc', pid: container.pid, reason });
  let membership;
  try {
    membership = parseProcCgroup(readFileSync(join(procRoot, String(container.pid), 'cgroup'), 'utf8'));
  } catch {
    return proc(`cannot read /proc/${container.pid}/cgroup`);
  }
  const own = (path: string) => path.includes(container.id);
  const layout = cgroupLayout(cgroupRoot);
  // Inside a Slurm step (agentpod slurm-task): the step's cgroup holds the limits, whatever podman could set.
  const step = membership && locateSlurmStep(membership, layout === 'v2' ? 'v2' : 'v1', container.id, cgroupRoot);
  if (step) return { kind: 'slurm-step', step };
  if (layout === 'v2') {
    const path = membership?.find((m) => m.controllers.length === 0)?.path;
    if (path === undefined || !own(path)) return proc(`cgroup ${path ?? '?'} is not the container's own`);
    const dir = join(cgroupRoot, path);
    if (!existsSync(join(dir, 'memory.current'))) return proc(`cgroup ${path} has no memory controller (not delegated?)`);
    return { kind: 'cgroup-v2', dir };
  }
  // v1 and hybrid: one path per controller hierarchy, mounted at /sys/fs/cgroup/<controller> (or a symlink to
  // the co-mounted "cpu,cpuacct").
  const dirs: CgroupV1Dirs = {};
  for (const controller of CGROUP_V1_CONTROLLERS) {
    const path = membership?.find((m) => m.controllers.includes(controller))?.path;
    if (path !== undefined && own(path)) dirs[controller] = join(cgroupRoot, controller, path);
  }
  const memoryPath = membership?.find((m) => m.controllers.includes('memory'))?.path;
  if (dirs.memory === undefined || !existsSync(join(dirs.memory, 'memory.usage_in_bytes'))) {
    return proc(`memory cgroup ${memoryPath ?? '?'} is not the container's own`);
  }
  return { kind: 'cgroup-v1', dirs };
}

export function openSource(location: SourceLocation): SampleSource {
  switch (location.kind) {
    case 'cgroup-v2':
      return openCgroupV2Source(location.dir);
    case 'cgroup-v1':
      return openCgroupV1Source(location.dirs);
    case 'proc':
      return openProcSource(location.pid);
    case 'slurm-step':
      return openSlurmStepSource(location.step);
  }
}
