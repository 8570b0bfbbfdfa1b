// A container run inside a Slurm step (agentpod's Slurm engine starts podman under `srun --mem=<profile>`):
// the step's cgroup enforces the profile's limits, whatever podman could do. Where the step's cgroup
// directories belong to the user (Slurm's cgroup/v1 plugin chowns them), runc makes the container a cgroup of
// its own inside the step: that is sampled ('slurm-container-cgroup'); otherwise the step's own cgroup, which
// also holds podman's client and conmon ('slurm-step-cgroup'). The limits are read from the step either way.
import { join } from 'node:path';
import type { CgroupV1Dirs } from './cgroup-v1.js';
import { openCgroupV1Source } from './cgroup-v1.js';
import { openCgroupV2Source } from './cgroup-v2.js';
import { KernelFileReader } from './files.js';
import { parseRawLine, type CgroupMembership } from './parse.js';
import type { SampleSource } from './sample.js';

export interface SlurmStepLocation {
  kind: 'slurm-container-cgroup' | 'slurm-step-cgroup';
  /** The cgroup path of the step (relative to the hierarchy's root), e.g. /slurm_node1/uid_1005/job_12/step_0. */
  step: string;
  /** What is sampled: v1 directories per controller, or one v2 directory. */
  v1?: CgroupV1Dirs;
  v2?: string;
  /** Where the step's memory limit and CPU set are read. */
  limits: { memoryMax: string; cpuset: string | null };
}

/**
 * The step a cgroup path lies in: "…/job_12/step_0" of "/slurm_node/uid_U/job_12/step_0/task_0/<ctr>" (v1) or
 * "/system.slice/slurmstepd.scope/job_12/step_0/user/task_0" (v2). null outside Slurm, and for the batch and
 * extern steps (agentpod itself runs in the batch step: sampling it would measure agentpod too).
 */
export function slurmStepOf(path: string | undefined): string | null {
  const m = /^(.*\/job_\d+\/step_\d+)(?:\/|$)/.exec(path ?? '');
  return m ? m[1] : null;
}

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'blkio', 'pids'] as const;

/** The Slurm step location of a container from its /proc/PID/cgroup lines, or null when it is not in a step. */
export function locateSlurmStep(membership: CgroupMembership[], layout: 'v2' | 'v1', containerId: string, cgroupRoot: string): SlurmStepLocation | null {
  const own = (path: string) => path.includes(containerId);
  if (layout === 'v2') {
    const path = membership.find((m) => m.controllers.length === 0)?.path;
    const step = slurmStepOf(path);
    if (!step || path === undefined) return null;
    const stepDir = join(cgroupRoot, step);
    return {
      kind: own(path) ? 'slurm-container-cgroup' : 'slurm-step-cgroup',
      step,
      v2: own(path) ? join(cgroupRoot, path) : stepDir,
      limits: { memoryMax: join(stepDir, 'memory.max'), cpuset: join(stepDir, 'cpuset.cpus.effective') },
    };
  }
  const pathOf = (controller: string) => membership.find((m) => m.controllers.includes(controller))?.path;
  const memoryPath = pathOf('memory');
  const step = slurmStepOf(memoryPath);
  if (!step || memoryPath === undefined) return null;
  const ownMemory = own(memoryPath);
  const v1: CgroupV1Dirs = {};
  for (const controller of V1_CONTROLLERS) {
    const path = pathOf(controller);
    if (path === undefined) continue;
    // The container's own directory where it has one; else the step's, when the controller is Slurm's at all.
    if (ownMemory ? own(path) : slurmStepOf(path) !== null) v1[controller] = join(cgroupRoot, controller, ownMemory ? path : (slurmStepOf(path) ?? path));
  }
  const cpusetStep = slurmStepOf(pathOf('cpuset'));
  return {
    kind: ownMemory ? 'slurm-container-cgroup' : 'slurm-step-cgroup',
    step,
    v1,
    limits: {
      memoryMax: join(cgroupRoot, 'memory', step, 'memory.limit_in_bytes'),
      cpuset: cpusetStep ? join(cgroupRoot, 'cpuset', cpusetStep, 'cpuset.cpus') : null,
    },
  };
}

/** The step's CPU set as the limit: "cpuset 0-1". */
export const cpusetLimit = (cpus: string | null) => (cpus === null ? null : `cpuset ${cpus}`);

/** How many CPUs a cpuset list names: "0-1,4" → 3. */
export function cpusetCount(list: string): number | null {
  let count = 0;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    count += (m[2] === undefined ? Number(m[1]) : Number(m[2])) - Number(m[1]) + 1;
  }
  return count;
}

export function openSlurmStepSource(location: SlurmStepLocation): SampleSource {
  const base = location.v2 !== undefined ? openCgroupV2Source(location.v2) : openCgroupV1Source(location.v1 ?? {});
  const files = new KernelFileReader();
  return {
    kind: location.kind,
    read: () => base.read(),
    readLimits: () => ({
      memoryMax: parseRawLine(files.read(location.limits.memoryMax)),
      cpuMax: cpusetLimit(location.limits.cpuset === null ? null : parseRawLine(files.read(location.limits.cpuset))),
    }),
    ...(base.watchOom ? { watchOom: base.watchOom } : {}),
    close: () => {
      base.close();
      files.closeAll();
    },
  };
}
