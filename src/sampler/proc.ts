// Samples a container through /proc when it has no cgroup of its own (rootless podman on cgroup v1 or hybrid
// hosts): sums over the process tree of the container's init pid. Memory is that of the live processes;
// CPU and I/O also include children that exited and were waited for (the kernel adds them to the parent),
// so those counters only drop when a process exits without being reaped inside the tree.
import { readdirSync } from 'node:fs';
import { KernelFileReader } from './files.js';
import { USEC_PER_CLOCK_TICK } from './parse.js';
import { ProcessTable, PssSchedule, type ProcessEntry } from './process-table.js';
import type { SampleSource, SampleValues } from './sample.js';

/**
 * RSS comes from counters (/proc/PID/status, microseconds to read), but PSS needs a walk of the page tables
 * (smaps_rollup): about 1 ms per 100 MB resident, too much for every 100 ms tick of a multi-GB agent. PSS is
 * read on the ticks that keep its cost under this share of one core (NULL on the others).
 */
const PSS_CPU_SHARE = 0.001;

/**
 * The tree's sums; each counts the processes whose value was readable, and is null when none's was. The memory
 * of a child caught between fork and exec is its parent's, so it is left out (process-table.ts).
 */
function sums(entries: ProcessEntry[]): SampleValues {
  let rss = null, pss = null, anon = null, file = null, shmem = null, swap = null, ioRead = null, ioWrite = null;
  let userTicks = 0, systemTicks = 0, threads = 0;
  const plus = (total: number | null, v: number | null) => (v === null ? total : (total ?? 0) + v);
  for (const e of entries) {
    if (!e.preExec) {
      rss = plus(rss, e.rssBytes);
      pss = plus(pss, e.pssBytes);
      anon = plus(anon, e.anonBytes);
      file = plus(file, e.fileBytes);
      shmem = plus(shmem, e.shmemBytes);
      swap = plus(swap, e.swapBytes);
    }
    ioRead = plus(ioRead, e.ioReadBytes);
    ioWrite = plus(ioWrite, e.ioWriteBytes);
    userTicks += e.utime + e.cutime;
    systemTicks += e.stime + e.cstime;
    threads += e.numThreads;
  }
  const user = entries.length ? userTicks * USEC_PER_CLOCK_TICK : null;
  const system = entries.length ? systemTicks * USEC_PER_CLOCK_TICK : null;
  return {
    memory_current_bytes: rss,
    memory_working_set_bytes: pss,
    memory_rss_bytes: rss,
    memory_pss_bytes: pss,
    memory_anon_bytes: anon,
    memory_file_bytes: file,
    memory_shmem_bytes: shmem,
    memory_swap_bytes: swap,
    cpu_usage_usec: user === null || system === null ? null : user + system,
    cpu_user_usec: user,
    cpu_system_usec: system,
    io_read_bytes: ioRead,
    io_write_bytes: ioWrite,
    pids_current: threads,
  };
}

export function openProcSource(initPid: number, procRoot = '/proc'): SampleSource {
  const files = new KernelFileReader();
  const table = new ProcessTable(files, 'full', procRoot);
  const pss = new PssSchedule(PSS_CPU_SHARE);
  // The init process's start time, so a reused pid is not mistaken for the container after it exited.
  const initStart = table.refresh(initPid, Date.now())?.starttime ?? null;
  let gone = initStart === null;
  let tree: ProcessEntry[] = [];
  // Thread ids per process, listed again only when the thread count (free in /proc/PID/stat) changes: a
  // directory listing costs several syscalls, and syscalls are most of a tick's cost.
  let threadLists = new Map<number, { starttime: number; count: number; tids: string[] }>();
  // Children per process as last read. A process that has not run since (kept by the table) cannot have forked:
  // its list stands, less the children that exited (their own refresh fails). The init's is always read, as
  // orphans are re-parented to it without it running.
  let childLists = new Map<number, { starttime: number; children: number[] }>();

  function threadIds(e: ProcessEntry): string[] {
    const cached = threadLists.get(e.pid);
    if (cached?.starttime === e.starttime && cached.count === e.numThreads) return cached.tids;
    try {
      return readdirSync(`${procRoot}/${e.pid}/task`);
    } catch {
      return []; // exited meanwhile
    }
  }

  /** The children of every thread of the process; null when a thread vanished meanwhile (list again next tick). */
  function readChildren(e: ProcessEntry, tids: string[]): number[] | null {
    const children: number[] = [];
    let complete = true;
    for (const tid of tids) {
      const text = files.read(`${procRoot}/${e.pid}/task/${tid}/children`);
      if (text === null) complete = false;
      for (const child of (text ?? '').split(' ')) if (child.trim()) children.push(Number(child));
    }
    return complete ? children : null;
  }

  return {
    kind: 'proc',
    read(): SampleValues {
      if (gone) return {};
      const now = Date.now();
      const nextThreadLists: typeof threadLists = new Map();
      const nextChildLists: typeof childLists = new Map();
      const entries: ProcessEntry[] = [];
      const pids = [initPid];
      const seen = new Set(pids);
      for (let i = 0; i < pids.length; i++) {
        const e = table.refresh(pids[i], now);
        if (pids[i] === initPid && e?.starttime !== initStart) {
          gone = true;
          tree = [];
          files.closeAll();
          return {};
        }
        if (!e) continue; // exited since its parent listed it
        entries.push(e);
        const kept = childLists.get(e.pid);
        let children: number[] | null;
        if (e.fullReadAt !== now && e.pid !== initPid && kept?.starttime === e.starttime) children = kept.children;
        else {
          const tids = threadIds(e);
          children = readChildren(e, tids);
          if (children !== null) nextThreadLists.set(e.pid, { starttime: e.starttime, count: e.numThreads, tids });
        }
        if (children !== null) nextChildLists.set(e.pid, { starttime: e.starttime, children });
        for (const child of children ?? []) {
          if (!seen.has(child)) {
            seen.add(child);
            pids.push(child);
          }
        }
      }
      childLists = nextChildLists;
      for (const [pid, list] of threadLists) if (!nextThreadLists.has(pid) && nextChildLists.has(pid)) nextThreadLists.set(pid, list);
      threadLists = nextThreadLists;
      table.sweep();
      table.markPreExec(entries, now);
      pss.runIfDue(() => table.readPss(entries));
      tree = entries;
      return sums(entries);
    },
    // The walk of the last read() already has every process.
    processes: () => tree,
    cmdline: (pid) => table.cmdline(pid),
    readLimits: () => ({ memoryMax: null, cpuMax: null }),
    close: () => files.closeAll(),
  };
}
