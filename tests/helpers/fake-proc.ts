// A fake /proc tree in a directory, for the sampler's proc-reading code: per pid its threads (and their
// children), stat, status, statm, smaps_rollup, io and, when given, schedstat and cmdline.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeProcess {
  tids?: number[];
  children?: number[];
  ppid?: number;
  comm?: string;
  utime: number;
  stime?: number;
  start?: number;
  rssKb: number;
  pssKb: number;
  io?: boolean;
  /** /proc/PID/schedstat's CPU time (ns); no file when left out. */
  runtimeNs?: number;
  cmdline?: string;
  /** stat's startstack (a fork child that has not exec'd has its parent's). */
  startstack?: number;
}

export function writeFakeProc(root: string, pids: Record<number, FakeProcess>): string {
  for (const [pid, p] of Object.entries(pids)) {
    const tids = p.tids ?? [Number(pid)];
    for (const [i, tid] of tids.entries()) {
      mkdirSync(join(root, pid, 'task', String(tid)), { recursive: true });
      writeFileSync(join(root, pid, 'task', String(tid), 'children'), i === 0 && p.children?.length ? `${p.children.join(' ')} ` : '');
    }
    const comm = p.comm ?? 'a b';
    writeFileSync(join(root, pid, 'stat'), `${pid} (${comm}) S ${p.ppid ?? 1} 1 1 0 -1 0 0 0 0 0 ${p.utime} ${p.stime ?? 0} 5 5 20 0 ${tids.length} 0 ${p.start ?? 100} 0 0 0 0 0 ${p.startstack ?? Number(pid) * 4096} 0\n`);
    writeFileSync(join(root, pid, 'status'), `Name:\t${comm}\nThreads:\t${tids.length}\nVmRSS:\t  ${p.rssKb} kB\nRssAnon:\t  ${p.rssKb - 10} kB\nRssFile:\t  10 kB\nRssShmem:\t 0 kB\nVmSwap:\t 0 kB\n`);
    // statm counts pages; the tests' page size is the host's (4 KiB on the test machines).
    writeFileSync(join(root, pid, 'statm'), `${p.rssKb * 4} ${p.rssKb / 4} ${10 / 4} 1 0 1 0\n`);
    writeFileSync(join(root, pid, 'smaps_rollup'), `00400000-7fff0000 ---p 00000000 00:00 0  [rollup]\nRss:  ${p.rssKb} kB\nPss:  ${p.pssKb} kB\n`);
    if (p.io !== false) writeFileSync(join(root, pid, 'io'), 'rchar: 1\nwchar: 2\nread_bytes: 4096\nwrite_bytes: 8192\n');
    if (p.runtimeNs !== undefined) writeFileSync(join(root, pid, 'schedstat'), `${p.runtimeNs} 1000 5\n`);
    if (p.cmdline !== undefined) writeFileSync(join(root, pid, 'cmdline'), `${p.cmdline.split(' ').join('\0')}\0`);
  }
  return root;
}

/** The process exits: its files read as nothing through descriptors kept open, as /proc's do (ESRCH). */
export function exitFakeProcess(root: string, pid: number): void {
  for (const name of ['stat', 'status', 'statm', 'schedstat', 'io', 'smaps_rollup']) writeFileSync(join(root, String(pid), name), '');
  rmSync(join(root, String(pid), 'task'), { recursive: true, force: true });
}
