// Were the run's requested limits really applied? Decided from the limits read back from the kernel.
import type { LimitsRead, SourceKind } from './sample.js';
import { cpusetCount } from './slurm-step.js';

export interface RequestedLimits {
  memoryBytes: number | null;
  cpus: number | null;
}

/** The kernel keeps memory limits in pages, so a limit reads back rounded down to a page (up to 64 KiB). */
const PAGE_ROUNDING_BYTES = 64 * 1024;

/** Slurm takes --mem in whole MiB: a step's limit is the profile's memory rounded down to a MiB. */
const SLURM_MEM_ROUNDING_BYTES = 1024 * 1024;

function memoryMatches(read: string | null, requestedBytes: number, rounding = PAGE_ROUNDING_BYTES): boolean {
  const bytes = Number(read);
  return read !== null && Number.isFinite(bytes) && bytes <= requestedBytes && requestedBytes - bytes < rounding;
}

/** "quota period" (v2 cpu.max, or v1 cfs_quota_us and cfs_period_us); an unlimited quota is "max" or "-1". */
function cpuMatches(read: string | null, requestedCpus: number): boolean {
  const [quota, period] = (read ?? '').split(' ').map(Number);
  return quota > 0 && period > 0 && Math.abs(quota / period - requestedCpus) <= requestedCpus * 0.01;
}

/** A Slurm step's CPUs are a set of whole cores ("cpuset 0-1"): enforced as asked only for a whole number of CPUs. */
function cpusetMatches(read: string | null, requestedCpus: number): boolean {
  const count = read?.startsWith('cpuset ') ? cpusetCount(read.slice('cpuset '.length)) : null;
  return count !== null && count === requestedCpus;
}

/**
 * null: no limit was requested, or nothing was sampled. false on the proc source: the container had no cgroup
 * of its own, so podman ignored the limits (rootless on cgroup v1). Otherwise every requested limit must
 * read back as asked (in a Slurm step: the step's memory limit and CPU set).
 */
export function decideLimitsEnforced(kind: SourceKind | null, requested: RequestedLimits, read: LimitsRead): boolean | null {
  if ((requested.memoryBytes === null && requested.cpus === null) || kind === null) return null;
  if (kind === 'proc') return false;
  const slurm = kind === 'slurm-container-cgroup' || kind === 'slurm-step-cgroup';
  return (
    (requested.memoryBytes === null || memoryMatches(read.memoryMax, requested.memoryBytes, slurm ? SLURM_MEM_ROUNDING_BYTES : PAGE_ROUNDING_BYTES)) &&
    (requested.cpus === null || (slurm ? cpusetMatches(read.cpuMax, requested.cpus) : cpuMatches(read.cpuMax, requested.cpus)))
  );
}
