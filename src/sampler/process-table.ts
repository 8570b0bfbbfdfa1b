// What the sampler knows about each process of a container, kept up to date tick by tick at a cost that
// grows with the processes that ran, not with all of them. A process that has not run since it was last read
// (/proc/PID/schedstat's CPU time unchanged, a few microseconds to read) cannot have changed its CPU time, its
// threads, its children or, but for reclaim, its memory: its entry is kept and its other files are not read,
// up to FULL_READ_EVERY_MS, after which it is read again in full (reclaim shrinks idle processes too). The
// descriptors of a process's files stay open while it is in the table (files.ts: a read is one pread).
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { KernelFileReader } from './files.js';
import { keyed, parseCmdline, parseKeyed, parseProcStat, parseSchedstatRuntime, parseStatm } from './parse.js';

/** An idle process is read in full again after this long. */
const FULL_READ_EVERY_MS = 2000;

/**
 * A child caught between fork and exec still has its parent's address space: its RSS is the parent's pages,
 * counted twice if summed. For this long after its start, such a child's memory is left out; a child that
 * stays unexec'd longer is a fork worker (python multiprocessing, prefork servers) and counts, as RSS does.
 */
const EXEC_GRACE_MS = 1000;

/** The kept part of a command line (docs/sampler.md). */
export const CMDLINE_BYTES = 200;

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Clock ticks after boot (with the pid, the process's identity). */
  starttime: number;
  comm: string;
  numThreads: number;
  startstack: number;
  /** A young child that has not exec'd yet (see EXEC_GRACE_MS): its memory is its parent's. */
  preExec: boolean;
  /** Own CPU in clock ticks (USER_HZ), and that of children it waited for. */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  rssBytes: number | null;
  /** Only with detail 'full' (the proc source's sums): /proc/PID/status and /proc/PID/io. */
  anonBytes: number | null;
  fileBytes: number | null;
  shmemBytes: number | null;
  swapBytes: number | null;
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
  /** PSS read on this tick (a page-table walk, so on some ticks only); null on the others. */
  pssBytes: number | null;
  /** schedstat CPU time (ns) when the entry was read in full; null when schedstat is unreadable. */
  runtimeNs: number | null;
  fullReadAt: number;
}

/** 'full': everything the proc source sums (status, io); 'lean': RSS from statm, for per-process samples only. */
export type ProcessDetail = 'full' | 'lean';

/** Page size from the ELF auxiliary vector (AT_PAGESZ) of this process; 4096 if it cannot be read. */
export function pageSize(): number {
  try {
    const fd = openSync('/proc/self/auxv', 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      for (let i = 0; i + 16 <= n; i += 16) {
        if (buf.readBigUInt64LE(i) === 6n) return Number(buf.readBigUInt64LE(i + 8));
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not Linux, or no auxv */
  }
  return 4096;
}

/**
 * PSS needs a walk of the page tables (about 1 ms per 100 MB resident): it is read on the ticks that keep its
 * cost under `cpuShare` of one core, measured as it goes.
 */
export class PssSchedule {
  private dueAt = 0;
  constructor(private readonly cpuShare: number) {}
  /** Runs `read` when due; true when it ran. */
  runIfDue(read: () => void): boolean {
    const start = performance.now();
    if (start < this.dueAt) return false;
    read();
    this.dueAt = start + (performance.now() - start) / this.cpuShare;
    return true;
  }
}

export class ProcessTable {
  private entries = new Map<number, ProcessEntry>();
  private seen = new Set<number>();
  private readonly page = pageSize();
  private readonly bootMs: number | null;

  constructor(
    private readonly files: KernelFileReader,
    private readonly detail: ProcessDetail,
    private readonly procRoot = '/proc',
  ) {
    this.bootMs = bootTimeMs(procRoot);
  }

  /** Flags the entries that are children caught between fork and exec (their parent's stack address). */
  markPreExec(entries: ProcessEntry[], nowMs: number): void {
    const byPid = new Map(entries.map((e) => [e.pid, e]));
    for (const e of entries) {
      const parent = byPid.get(e.ppid);
      const young = this.bootMs === null || nowMs - (this.bootMs + e.starttime * 10) < EXEC_GRACE_MS;
      e.preExec = parent !== undefined && e.startstack !== 0 && e.startstack === parent.startstack && young;
    }
  }

  /** The process's entry, read now or kept (idle since its last full read); null when it is gone. */
  refresh(pid: number, nowMs: number): ProcessEntry | null {
    this.seen.add(pid);
    const known = this.entries.get(pid);
    const runtime = parseSchedstatRuntime(this.files.read(`${this.procRoot}/${pid}/schedstat`));
    if (known && known.numThreads === 1 && runtime !== null && runtime === known.runtimeNs && nowMs - known.fullReadAt < FULL_READ_EVERY_MS) {
      known.pssBytes = null;
      return known;
    }
    const entry = this.readFull(pid, runtime, nowMs);
    if (entry) this.entries.set(pid, entry);
    else this.entries.delete(pid);
    return entry;
  }

  /** Reads PSS of these entries now (smaps_rollup). */
  readPss(entries: ProcessEntry[]): void {
    for (const e of entries) e.pssBytes = keyed(parseKeyed(this.files.read(`${this.procRoot}/${e.pid}/smaps_rollup`)), 'Pss');
  }

  /** Forgets the processes not refreshed since the last sweep (exited, or left the container), and their files. */
  sweep(): void {
    for (const pid of this.entries.keys()) {
      if (this.seen.has(pid)) continue;
      this.entries.delete(pid);
      this.files.closeUnder(`${this.procRoot}/${pid}`);
    }
    this.seen.clear();
  }

  /** The first CMDLINE_BYTES of the command line (read once per process by whoever stores it); null if gone. */
  cmdline(pid: number): string | null {
    try {
      const fd = openSync(`${this.procRoot}/${pid}/cmdline`, 'r');
      try {
        const buf = Buffer.alloc(CMDLINE_BYTES + 4);
        return parseCmdline(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)), CMDLINE_BYTES);
      } finally {
        closeSync(fd);
      }
    } catch {
      return null;
    }
  }

  private readFull(pid: number, runtimeNs: number | null, nowMs: number): ProcessEntry | null {
    const stat = parseProcStat(this.files.read(`${this.procRoot}/${pid}/stat`));
    if (!stat) return null;
    const { comm, ppid, starttime, numThreads, utime, stime, cutime, cstime, startstack } = stat;
    const entry: ProcessEntry = {
      pid, ppid, starttime, comm, numThreads, startstack, preExec: false, utime, stime, cutime, cstime,
      rssBytes: null, anonBytes: null, fileBytes: null, shmemBytes: null, swapBytes: null, ioReadBytes: null, ioWriteBytes: null,
      pssBytes: null,
      runtimeNs,
      fullReadAt: nowMs,
    };
    if (this.detail === 'lean') {
      const statm = parseStatm(this.files.read(`${this.procRoot}/${pid}/statm`));
      entry.rssBytes = statm && statm.resident * this.page;
      return entry;
    }
    const status = parseKeyed(this.files.read(`${this.procRoot}/${pid}/status`));
    entry.rssBytes = keyed(status, 'VmRSS');
    entry.anonBytes = keyed(status, 'RssAnon');
    entry.fileBytes = keyed(status, 'RssFile');
    entry.shmemBytes = keyed(status, 'RssShmem');
    entry.swapBytes = keyed(status, 'VmSwap');
    const io = parseKeyed(this.files.read(`${this.procRoot}/${pid}/io`));
    entry.ioReadBytes = keyed(io, 'read_bytes');
    entry.ioWriteBytes = keyed(io, 'write_bytes');
    return entry;
  }
}

/** Clock ticks after boot → epoch ms, from the boot time (read once: /proc/uptime has 10 ms resolution). */
export function bootTimeMs(procRoot = '/proc', now = Date.now()): number | null {
  try {
    const fd = openSync(`${procRoot}/uptime`, 'r');
    try {
      const buf = Buffer.alloc(64);
      const uptime = Number(buf.toString('utf8', 0, readSync(fd, buf, 0, 64, 0)).split(' ')[0]);
      return Number.isFinite(uptime) ? now - uptime * 1000 : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
