// Pure parsers for the kernel files the sampler reads (cgroup v1/v2 and /proc). Every parser takes the
// file's text or null (missing/unreadable) and gives null for null: a missing file is "unknown", never 0.
// Keyed files are parsed by key, because the kernel adds keys over time; unknown keys are kept but unused.

export type Keyed = Map<string, number>;

/** One key, an optional colon, one number, an optional "kB"; spaces or tabs between, nothing else. */
const KEYED_LINE = /^[ \t]*([^\s:]+):?[ \t]+(-?[0-9.]+)(?:[ \t]+(kB))?[ \t]*$/gm;

/**
 * "key value" lines (memory.stat, memory.events, cpu.stat, cpuacct.stat), "key: value" (/proc/PID/io) and
 * "Key:  value kB" (/proc/PID/status, smaps_rollup; scaled to bytes). Other lines are skipped. One regex over
 * the whole text: this runs for several files per process on every tick.
 */
export function parseKeyed(text: string | null): Keyed | null {
  if (text === null) return null;
  const out: Keyed = new Map();
  KEYED_LINE.lastIndex = 0;
  for (let m = KEYED_LINE.exec(text); m; m = KEYED_LINE.exec(text)) {
    const value = Number(m[2]);
    if (Number.isFinite(value)) out.set(m[1], m[3] ? value * 1024 : value);
  }
  return out;
}

export const keyed = (map: Keyed | null, key: string): number | null => map?.get(key) ?? null;

/** A file holding one number (memory.current, pids.current); null when missing or not a number ("max"). */
export function parseNumber(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** A limit file as written, e.g. "max", "268435456", "50000 100000". */
export function parseRawLine(text: string | null): string | null {
  if (text === null) return null;
  const line = text.trim().split('\n')[0].trim().replace(/\s+/g, ' ');
  return line === '' ? null : line;
}

export interface IoTotals {
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

/**
 * cgroup v2 io.stat, summed over devices: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" plus
 * whatever else a kernel adds (cost.*, ...). An existing file without device lines means no I/O yet: zeros.
 */
export function parseIoStat(text: string | null): IoTotals | null {
  if (text === null) return null;
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [device, ...fields] = line.trim().split(/\s+/);
    if (!/^\d+:\d+$/.test(device ?? '')) continue;
    for (const field of fields) {
      const eq = field.indexOf('=');
      const value = Number(field.slice(eq + 1));
      if (eq > 0 && Number.isFinite(value)) sums.set(field.slice(0, eq), (sums.get(field.slice(0, eq)) ?? 0) + value);
    }
  }
  const sum = (key: string) => sums.get(key) ?? 0;
  return { readBytes: sum('rbytes'), writeBytes: sum('wbytes'), readOps: sum('rios'), writeOps: sum('wios') };
}

/**
 * cgroup v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Read N", "MAJ:MIN Write N", ... and a final
 * "Total N"; the Read and Write lines are summed over devices.
 */
export function parseBlkio(text: string | null): { read: number; write: number } | null {
  if (text === null) return null;
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const [device, op, rawValue] = line.trim().split(/\s+/);
    if (!/^\d+:\d+$/.test(device ?? '')) continue;
    const value = Number(rawValue);
    if (!Number.isFinite(value)) continue;
    if (op === 'Read') read += value;
    else if (op === 'Write') write += value;
  }
  return { read, write };
}

export interface PressureLine {
  avg10: number | null;
  totalUsec: number | null;
}

export interface Pressure {
  some: PressureLine | null;
  /** Absent for cpu.pressure on kernels before 5.13. */
  full: PressureLine | null;
}

/** PSI files (cpu/memory/io.pressure): "some avg10=0.12 avg60=0.05 avg300=0.01 total=12345" and a "full" line. */
export function parsePressure(text: string | null): Pressure | null {
  if (text === null) return null;
  const result: Pressure = { some: null, full: null };
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const values = new Map(fields.map((f) => f.split('=') as [string, string]));
    const num = (key: string) => {
      const v = Number(values.get(key));
      return values.has(key) && Number.isFinite(v) ? v : null;
    };
    result[kind] = { avg10: num('avg10'), totalUsec: num('total') };
  }
  return result;
}

/** /proc/PID/stat and cpuacct.stat count USER_HZ ticks, which Linux fixes at 100 per second in its user ABI. */
export const USEC_PER_CLOCK_TICK = 10_000;

export interface ProcStat {
  /** The command name (up to 15 bytes, as the kernel keeps it). */
  comm: string;
  ppid: number;
  /** Clock ticks (USER_HZ). */
  utime: number;
  stime: number;
  /** CPU of children that exited and were waited for. */
  cutime: number;
  cstime: number;
  numThreads: number;
  /** Clock ticks after boot: with the pid, identifies one process (pids get reused). */
  starttime: number;
  /** Address of the stack's start: a child that has not exec'd yet has its parent's (0 when not permitted). */
  startstack: number;
}

/** /proc/PID/stat. The command name may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseProcStat(text: string | null): ProcStat | null {
  if (text === null) return null;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // fields[0] is field 3 (state) of proc(5); field N is fields[N - 3].
  const fields = text.slice(close + 1).trim().split(/\s+/).map(Number);
  const field = (n: number) => fields[n - 3];
  const numbers = { ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17), numThreads: field(20), starttime: field(22) };
  if (!Object.values(numbers).every(Number.isFinite)) return null;
  return { comm: text.slice(open + 1, close), ...numbers, startstack: Number.isFinite(field(28)) ? field(28) : 0 };
}

/** /proc/PID/statm: sizes in pages; `resident` is RSS (anon + file + shmem), `shared` its file + shmem part. */
export function parseStatm(text: string | null): { resident: number; shared: number } | null {
  if (text === null) return null;
  const [, resident, shared] = text.trim().split(' ').map(Number);
  return Number.isFinite(resident) && Number.isFinite(shared) ? { resident, shared } : null;
}

/** /proc/PID/schedstat: "<ns on cpu> <ns waiting> <timeslices>"; the first field, or null. */
export function parseSchedstatRuntime(text: string | null): number | null {
  if (text === null) return null;
  const ns = Number(text.slice(0, text.indexOf(' ')));
  return text.includes(' ') && Number.isFinite(ns) ? ns : null;
}

/** /proc/PID/cmdline: arguments separated by NULs; shown with spaces, cut to `maxBytes` (on a character). */
export function parseCmdline(bytes: Buffer, maxBytes: number): string {
  let end = Math.min(bytes.length, maxBytes);
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--; // not inside a UTF-8 character
  return bytes.subarray(0, end).toString('utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}

export interface CgroupMembership {
  /** Empty for the v2 line ("0::/path"). */
  controllers: string[];
  path: string;
}

/** /proc/PID/cgroup: "hierarchy-id:controller,list:/path" per line. */
export function parseProcCgroup(text: string | null): CgroupMembership[] | null {
  if (text === null) return null;
  const out: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    out.push({ controllers: controllers ? controllers.split(',') : [], path: line.slice(second + 1).trim() });
  }
  return out;
}
