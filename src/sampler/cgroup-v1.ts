// Samples a container's own cgroup v1 directories, one per controller hierarchy (rootful podman on v1 hosts;
// rootless containers on v1 get no cgroup of their own and use the proc source instead).
import { join } from 'node:path';
import { cgroupProcesses } from './cgroup-processes.js';
import { KernelFileReader } from './files.js';
import { keyed, parseBlkio, parseKeyed, parseNumber, parseRawLine, USEC_PER_CLOCK_TICK } from './parse.js';
import { workingSet, type SampleSource } from './sample.js';

/** The container's directory in each v1 hierarchy it belongs to; a controller not mounted is left out. */
export interface CgroupV1Dirs {
  memory?: string;
  cpu?: string;
  cpuacct?: string;
  blkio?: string;
  pids?: string;
}

const times = (value: number | null, factor: number) => (value === null ? null : Math.round(value * factor));

export function openCgroupV1Source(dirs: CgroupV1Dirs): SampleSource {
  const files = new KernelFileReader();
  const processes = dirs.memory === undefined ? null : cgroupProcesses(files, join(dirs.memory, 'cgroup.procs'));
  const read = (controller: keyof CgroupV1Dirs, name: string) => {
    const dir = dirs[controller];
    return dir === undefined ? null : files.read(join(dir, name));
  };
  return {
    kind: 'cgroup-v1',
    read() {
      const usage = parseNumber(read('memory', 'memory.usage_in_bytes'));
      // total_* keys are hierarchical (this cgroup and its children), like every v2 counter.
      const stat = parseKeyed(read('memory', 'memory.stat'));
      const oomControl = parseKeyed(read('memory', 'memory.oom_control'));
      const cpuacct = parseKeyed(read('cpuacct', 'cpuacct.stat'));
      const cpu = parseKeyed(read('cpu', 'cpu.stat'));
      const ioBytes = parseBlkio(read('blkio', 'blkio.throttle.io_service_bytes'));
      const ioOps = parseBlkio(read('blkio', 'blkio.throttle.io_serviced'));
      return {
        memory_current_bytes: usage,
        memory_peak_bytes: parseNumber(read('memory', 'memory.max_usage_in_bytes')),
        memory_working_set_bytes: workingSet(usage, keyed(stat, 'total_inactive_file')),
        memory_anon_bytes: keyed(stat, 'total_rss'),
        memory_file_bytes: keyed(stat, 'total_cache'),
        memory_kernel_bytes: parseNumber(read('memory', 'memory.kmem.usage_in_bytes')),
        memory_shmem_bytes: keyed(stat, 'total_shmem'),
        memory_inactive_file_bytes: keyed(stat, 'total_inactive_file'),
        memory_swap_bytes: keyed(stat, 'total_swap'),
        memory_events_oom_kill: keyed(oomControl, 'oom_kill'),
        memory_failcnt: parseNumber(read('memory', 'memory.failcnt')),
        cpu_usage_usec: times(parseNumber(read('cpuacct', 'cpuacct.usage')), 1 / 1000),
        cpu_user_usec: times(keyed(cpuacct, 'user'), USEC_PER_CLOCK_TICK),
        cpu_system_usec: times(keyed(cpuacct, 'system'), USEC_PER_CLOCK_TICK),
        cpu_nr_periods: keyed(cpu, 'nr_periods'),
        cpu_nr_throttled: keyed(cpu, 'nr_throttled'),
        cpu_throttled_usec: times(keyed(cpu, 'throttled_time'), 1 / 1000),
        io_read_bytes: ioBytes?.read ?? null,
        io_write_bytes: ioBytes?.write ?? null,
        io_read_ops: ioOps?.read ?? null,
        io_write_ops: ioOps?.write ?? null,
        pids_current: parseNumber(read('pids', 'pids.current')),
      };
    },
    readLimits() {
      const quota = parseRawLine(read('cpu', 'cpu.cfs_quota_us'));
      const period = parseRawLine(read('cpu', 'cpu.cfs_period_us'));
      return {
        memoryMax: parseRawLine(read('memory', 'memory.limit_in_bytes')),
        cpuMax: quota === null || period === null ? null : `${quota} ${period}`,
      };
    },
    ...(processes && { processes: processes.processes, cmdline: processes.cmdline }),
    close() {
      files.closeAll();
      processes?.close();
    },
  };
}
