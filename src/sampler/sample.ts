// What one sample is (the value columns of the samples table) and what every source of samples provides.
import type { ProcessEntry } from './process-table.js';
import type { OomCounts } from './oom-watch.js';

/**
 * Where samples come from. The slurm-* kinds are containers in a Slurm step (sampler/slurm-step.ts): their
 * own cgroup inside the step, or the step's cgroup itself (shared with podman's client and conmon).
 */
export type SourceKind = 'cgroup-v2' | 'cgroup-v1' | 'proc' | 'slurm-container-cgroup' | 'slurm-step-cgroup';

export const SAMPLE_COLUMNS = [
  'memory_current_bytes',
  'memory_peak_bytes',
  'memory_working_set_bytes',
  'memory_anon_bytes',
  'memory_file_bytes',
  'memory_kernel_bytes',
  'memory_shmem_bytes',
  'memory_sock_bytes',
  'memory_inactive_file_bytes',
  'memory_swap_bytes',
  'memory_rss_bytes',
  'memory_pss_bytes',
  'memory_events_high',
  'memory_events_max',
  'memory_events_oom',
  'memory_events_oom_kill',
  'memory_failcnt',
  'cpu_usage_usec',
  'cpu_user_usec',
  'cpu_system_usec',
  'cpu_nr_periods',
  'cpu_nr_throttled',
  'cpu_throttled_usec',
  'io_read_bytes',
  'io_write_bytes',
  'io_read_ops',
  'io_write_ops',
  'pids_current',
  'psi_cpu_some_avg10',
  'psi_cpu_some_total_usec',
  'psi_cpu_full_avg10',
  'psi_cpu_full_total_usec',
  'psi_memory_some_avg10',
  'psi_memory_some_total_usec',
  'psi_memory_full_avg10',
  'psi_memory_full_total_usec',
  'psi_io_some_avg10',
  'psi_io_some_total_usec',
  'psi_io_full_avg10',
  'psi_io_full_total_usec',
] as const;

export type SampleColumn = (typeof SAMPLE_COLUMNS)[number];

/** A column left out or null is unknown for this source (stored as NULL). */
export type SampleValues = Partial<Record<SampleColumn, number | null>>;

/** No value at all: the container's cgroup or process tree is gone. */
export const isEmptySample = (values: SampleValues) => Object.values(values).every((v) => v === null || v === undefined);

/** Working set as cAdvisor and podman define it: usage minus the inactive page cache the kernel can drop first. */
export function workingSet(current: number | null, inactiveFile: number | null): number | null {
  return current === null || inactiveFile === null ? null : Math.max(0, current - inactiveFile);
}

/** The limits as the kernel has them, raw: memory.max / cpu.max on v2, "limit_in_bytes" / "quota period" on v1. */
export interface LimitsRead {
  memoryMax: string | null;
  cpuMax: string | null;
}

export interface SampleSource {
  readonly kind: SourceKind;
  /** Reads everything once; an empty sample means the container is gone. */
  read(): SampleValues;
  readLimits(): LimitsRead;
  /**
   * Calls back as soon as the kernel reports a new OOM event, so the kill is recorded even when the cgroup
   * disappears before the next tick. Returns the unsubscribe function. Sources without notifications omit it.
   */
  watchOom?(onOom: (seen: OomCounts) => void): () => void;
  /** The container's processes (the proc source: as of the last read()); sources that cannot list them omit it. */
  processes?(): ProcessEntry[];
  /** The start of a process's command line (read once per process by the process store); null when gone. */
  cmdline?(pid: number): string | null;
  close(): void;
}
