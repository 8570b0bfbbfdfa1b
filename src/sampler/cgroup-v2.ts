// Samples a container's own cgroup v2 directory (hierarchical counters of every process in it).
import { join } from 'node:path';
import { cgroupProcesses } from './cgroup-processes.js';
import { KernelFileReader } from './files.js';
import { watchOomEvents } from './oom-watch.js';
import { keyed, parseIoStat, parseKeyed, parseNumber, parsePressure, parseRawLine, type Pressure } from './parse.js';
import { workingSet, type SampleSource, type SampleValues } from './sample.js';

type PsiResource = 'cpu' | 'memory' | 'io';

function psiColumns(resource: PsiResource, p: Pressure | null): SampleValues {
  return {
    [`psi_${resource}_some_avg10`]: p?.some?.avg10 ?? null,
    [`psi_${resource}_some_total_usec`]: p?.some?.totalUsec ?? null,
    [`psi_${resource}_full_avg10`]: p?.full?.avg10 ?? null,
    [`psi_${resource}_full_total_usec`]: p?.full?.totalUsec ?? null,
  };
}

export function openCgroupV2Source(dir: string): SampleSource {
  const files = new KernelFileReader();
  const read = (name: string) => files.read(join(dir, name));
  const processes = cgroupProcesses(files, join(dir, 'cgroup.procs'));
  return {
    kind: 'cgroup-v2',
    read() {
      const current = parseNumber(read('memory.current'));
      const stat = parseKeyed(read('memory.stat'));
      const events = parseKeyed(read('memory.events'));
      const cpu = parseKeyed(read('cpu.stat'));
      const io = parseIoStat(read('io.stat'));
      return {
        memory_current_bytes: current,
        memory_peak_bytes: parseNumber(read('memory.peak')),
        memory_working_set_bytes: workingSet(current, keyed(stat, 'inactive_file')),
        memory_anon_bytes: keyed(stat, 'anon'),
        memory_file_bytes: keyed(stat, 'file'),
        memory_kernel_bytes: keyed(stat, 'kernel'),
        memory_shmem_bytes: keyed(stat, 'shmem'),
        memory_sock_bytes: keyed(stat, 'sock'),
        memory_inactive_file_bytes: keyed(stat, 'inactive_file'),
        memory_swap_bytes: parseNumber(read('memory.swap.current')),
        memory_events_high: keyed(events, 'high'),
        memory_events_max: keyed(events, 'max'),
        memory_events_oom: keyed(events, 'oom'),
        memory_events_oom_kill: keyed(events, 'oom_kill'),
        cpu_usage_usec: keyed(cpu, 'usage_usec'),
        cpu_user_usec: keyed(cpu, 'user_usec'),
        cpu_system_usec: keyed(cpu, 'system_usec'),
        cpu_nr_periods: keyed(cpu, 'nr_periods'),
        cpu_nr_throttled: keyed(cpu, 'nr_throttled'),
        cpu_throttled_usec: keyed(cpu, 'throttled_usec'),
        io_read_bytes: io?.readBytes ?? null,
        io_write_bytes: io?.writeBytes ?? null,
        io_read_ops: io?.readOps ?? null,
        io_write_ops: io?.writeOps ?? null,
        pids_current: parseNumber(read('pids.current')),
        ...psiColumns('cpu', parsePressure(read('cpu.pressure'))),
        ...psiColumns('memory', parsePressure(read('memory.pressure'))),
        ...psiColumns('io', parsePressure(read('io.pressure'))),
      };
    },
    readLimits() {
      return { memoryMax: parseRawLine(read('memory.max')), cpuMax: parseRawLine(read('cpu.max')) };
    },
    processes: processes.processes,
    cmdline: processes.cmdline,
    watchOom: (onOom) => watchOomEvents(join(dir, 'memory.events'), () => read('memory.events'), onOom),
    close() {
      files.closeAll();
      processes.close();
    },
  };
}
