// Samples a container through /proc when it has no cgroup of its own (rootless podman on cgroup v1 or hybrid
// hosts): sums over the process tree of the container's init pid. Memory is that of the live processes;
// CPU and I/O also include children that exited and were waited for (the kernel adds them to the parent),
// so those counters only drop when a process exits without being reaped inside the tree.
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { KernelFileReader } from './files.js';
import { keyed, parseKeyed, parseProcStat, USEC_PER_CLOCK_TICK, type ProcStat } from './parse.js';
import type { SampleSource, SampleValues } from './sample.js';

/**
 * RSS comes from counters (/proc/PID/status, microseconds to read), but PSS needs a walk of the page tables
 * (smaps_rollup): about 1 ms per 100 MB resident, too much for every 100 ms tick of a multi-GB agent. PSS is
 * read on the ticks that keep its cost under this share of one core (NULL on the others).
 */
const PSS_CPU_SHARE = 0.001;

/** Sums only what was readable: null when no process in the tree had the value. */
class Totals {
  private readonly sums = new Map<string, number>();
  add(key: string, value: number | null): void {
    if (value !== null) this.sums.set(key, (this.sums.get(key) ?? 0) + value);
  }
  get(key: string): number | null {
    return this.sums.get(key) ?? null;
  }
}

export function openProcSource(initPid: number, procRoot = '/proc'): SampleSource {
  const files = new KernelFileReader();
  // The init process's start time, so a reused pid is not mistaken for the container after it exited.
  const initStart = parseProcStat(files.read(`${procRoot}/${initPid}/stat`))?.starttime ?? null;
  let gone = initStart === null;
  let pssDueAt = 0;
  // Thread ids per process, listed again only when the thread count (free in /proc/PID/stat) changes: a
  // directory listing costs several syscalls, and syscalls are most of a tick's cost.
  let threadLists = new Map<number, { starttime: number; count: number; tids: string[] }>();

  function threadIds(pid: number, stat: ProcStat): string[] {
    const cached = threadLists.get(pid);
    if (cached?.starttime === stat.starttime && cached.count === stat.numThreads) return cached.tids;
    try {
      return readdirSync(`${procRoot}/${pid}/task`);
    } catch {
      return []; // exited meanwhile
    }
  }

  return {
    kind: 'proc',
    read(): SampleValues {
      if (gone) return {};
      const totals = new Totals();
      const nextThreadLists: typeof threadLists = new Map();
      const pids = [initPid];
      const seen = new Set(pids);
      let threads = 0;
      for (let i = 0; i < pids.length; i++) {
        const pid = pids[i];
        const stat = parseProcStat(files.read(`${procRoot}/${pid}/stat`));
        if (pid === initPid && stat?.starttime !== initStart) {
          gone = true;
          files.closeAll();
          return {};
        }
        if (!stat) continue; // exited since its parent listed it
        threads += stat.numThreads;
        totals.add('user', stat.utime + stat.cutime);
        totals.add('system', stat.stime + stat.cstime);
        const status = parseKeyed(files.read(`${procRoot}/${pid}/status`));
        for (const key of ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmSwap']) totals.add(key, keyed(status, key));
        const io = parseKeyed(files.read(`${procRoot}/${pid}/io`));
        for (const key of ['read_bytes', 'write_bytes']) totals.add(key, keyed(io, key));

        const tids = threadIds(pid, stat);
        let listed = true;
        for (const tid of tids) {
          const children = files.read(`${procRoot}/${pid}/task/${tid}/children`);
          if (children === null) listed = false; // that thread is gone: list the threads again next tick
          for (const child of (children ?? '').split(' ')) {
            const childPid = Number(child);
            if (child.trim() && !seen.has(childPid)) {
              seen.add(childPid);
              pids.push(childPid);
            }
          }
        }
        if (listed) nextThreadLists.set(pid, { starttime: stat.starttime, count: stat.numThreads, tids });
      }
      threadLists = nextThreadLists;
      const pssStart = performance.now();
      if (pssStart >= pssDueAt) {
        for (const pid of pids) totals.add('Pss', keyed(parseKeyed(files.read(`${procRoot}/${pid}/smaps_rollup`)), 'Pss'));
        pssDueAt = pssStart + (performance.now() - pssStart) / PSS_CPU_SHARE;
      }
      files.sweep();
      const usec = (key: string) => {
        const ticks = totals.get(key);
        return ticks === null ? null : ticks * USEC_PER_CLOCK_TICK;
      };
      const user = usec('user');
      const system = usec('system');
      return {
        memory_current_bytes: totals.get('VmRSS'),
        memory_working_set_bytes: totals.get('Pss'),
        memory_rss_bytes: totals.get('VmRSS'),
        memory_pss_bytes: totals.get('Pss'),
        memory_anon_bytes: totals.get('RssAnon'),
        memory_file_bytes: totals.get('RssFile'),
        memory_shmem_bytes: totals.get('RssShmem'),
        memory_swap_bytes: totals.get('VmSwap'),
        cpu_usage_usec: user === null || system === null ? null : user + system,
        cpu_user_usec: user,
        cpu_system_usec: system,
        io_read_bytes: totals.get('read_bytes'),
        io_write_bytes: totals.get('write_bytes'),
        pids_current: threads,
      };
    },
    readLimits: () => ({ memoryMax: null, cpuMax: null }),
    close: () => files.closeAll(),
  };
}
