// Writing per-process samples compactly. A `processes` row once per process (its first and last sighting, peak
// and CPU written when it leaves or the run ends), then a `process_samples` row whenever its values change:
// a value holds from its row to the next one or to the process's last sighting. The agent has a row at every
// tick, so its rows are the times per-process samples were taken. Only the agent and processes
// that reached the size threshold have values of their own; the others are summed per group (the subtree of
// one child of the agent: what one tool call started) into that group's "(other)" row, whose value drops to
// 0 when none of them is left.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import { USEC_PER_CLOCK_TICK } from './parse.js';
import type { ProcessEntry } from './process-table.js';
import type { TransactionPart } from './store.js';

/** Processes whose RSS stays under this are folded into their group's "(other)" row. */
export const DEFAULT_FOLD_BELOW_BYTES = 16 * 2 ** 20;

export interface ProcessStoreOptions {
  /** Host pid of the container's init process: the agent. */
  agentPid: number | null;
  /** Epoch ms of the boot, to turn start times (clock ticks after boot) into epoch ms. */
  bootMs: number | null;
  foldBelowBytes?: number;
  /** The start of a process's command line (read when it is first seen). */
  cmdline: (pid: number) => string | null;
}

interface Values {
  rss: number | null;
  pss: number | null;
  cpu: number | null;
}

interface Known {
  id: number | null; // assigned when its row is written
  kind: 'agent' | 'process' | 'other';
  pid: number | null;
  ppid: number | null;
  starttime: number | null;
  comm: string;
  /** Read when first seen (short-lived processes are gone by the flush), again if it exec'd (comm changed). */
  cmdline: string | null;
  cmdlineComm: string;
  parent: Known | null;
  /** The group's root (a child of the agent); null for the agent and processes outside its tree. */
  group: Known | null;
  /** Has values of its own (the agent, or it reached the threshold once): never folded again. */
  own: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
  peakRss: number | null;
  cpuUsec: number | null;
  /** The values of its last process_samples row. */
  written: Values | null;
}

interface ValueRow extends Values {
  process: Known;
  tMs: number;
}

interface Other {
  row: Known;
  /** CPU of folded members that left: the group's CPU only grows. */
  exitedCpu: number;
  /** Folded members at the last tick. */
  members: Map<Known, number>;
}

const keyOf = (pid: number, starttime: number) => `${pid}:${starttime}`;
const cpuUsecOf = (e: ProcessEntry) => (e.utime + e.stime) * USEC_PER_CLOCK_TICK;
const plus = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);

export class ProcessStore implements TransactionPart {
  private readonly known = new Map<string, Known>();
  /** The processes of the last tick, by pid (to find a newcomer's parent, and who left). */
  private live = new Map<number, Known>();
  private readonly others = new Map<Known | null, Other>();
  private readonly newRows: Known[] = [];
  /** Rows to update (left, or the run ended). */
  private readonly left = new Set<Known>();
  private values: ValueRow[] = [];
  private inFlight: { rows: number; values: number; left: Known[] } | null = null;
  private readonly insertProcess: Statement;
  private readonly updateProcess: Statement;
  private readonly setOwnGroup: Statement;
  private readonly insertValue: Statement;
  private readonly foldBelow: number;

  constructor(
    db: Db,
    private readonly runId: string,
    private readonly opts: ProcessStoreOptions,
  ) {
    this.foldBelow = opts.foldBelowBytes ?? DEFAULT_FOLD_BELOW_BYTES;
    this.insertProcess = db.prepare(
      `INSERT INTO processes (run_id, kind, pid, ppid, start_ms, comm, cmdline, parent_id, group_id, first_seen_ms, process_key)
       VALUES (@runId, @kind, @pid, @ppid, @startMs, @comm, @cmdline, @parentId, @groupId, @firstSeen, @processKey)`,
    );
    this.setOwnGroup = db.prepare('UPDATE processes SET group_id = id WHERE id = ?');
    this.updateProcess = db.prepare('UPDATE processes SET comm = @comm, last_seen_ms = @lastSeen, peak_rss_bytes = @peakRss, cpu_usec = @cpu WHERE id = @id');
    this.insertValue = db.prepare('INSERT OR REPLACE INTO process_samples (process_id, t_ms, rss_bytes, pss_bytes, cpu_usec) VALUES (?, ?, ?, ?, ?)');
  }

  /** One tick's processes, at the t_ms of the run's sample of that tick. */
  add(tMs: number, entries: ProcessEntry[]): void {
    // Parents before children (cgroup.procs lists by pid, and pids wrap).
    const ordered = [...entries].sort((a, b) => a.starttime - b.starttime);
    const live = new Map<number, Known>();
    const folded = new Map<Known | null, { values: Values; members: Map<Known, number> }>();
    for (const e of ordered) {
      // A child between fork and exec: its memory is its parent's (process-table.ts).
      const rss = e.preExec ? 0 : e.rssBytes;
      const p = this.knownFor(e, tMs, live);
      live.set(e.pid, p);
      p.lastSeenMs = tMs;
      p.comm = e.comm;
      if (rss !== null) p.peakRss = Math.max(p.peakRss ?? 0, rss);
      p.cpuUsec = cpuUsecOf(e);
      if (!p.own && (rss ?? 0) >= this.foldBelow) p.own = true;
      if (p.own) {
        this.record(p, tMs, { rss, pss: e.preExec ? null : e.pssBytes, cpu: p.cpuUsec });
        continue;
      }
      let sum = folded.get(p.group);
      if (!sum) folded.set(p.group, (sum = { values: { rss: null, pss: null, cpu: 0 }, members: new Map() }));
      sum.values.rss = plus(sum.values.rss, rss);
      sum.values.pss = plus(sum.values.pss, e.preExec ? null : e.pssBytes);
      sum.values.cpu! += p.cpuUsec;
      sum.members.set(p, p.cpuUsec);
    }
    for (const [pid, p] of this.live) {
      if (live.get(pid) === p) continue;
      this.left.add(p);
      this.known.delete(keyOf(pid, p.starttime!));
    }
    this.live = live;
    for (const [group, other] of this.others) {
      const now = folded.get(group);
      for (const [p, cpu] of other.members) if (!now?.members.has(p)) other.exitedCpu += cpu;
      other.members = now?.members ?? new Map();
      // None of its folded processes is left: its value drops to 0 (its CPU stays).
      if (!now && other.row.written?.rss !== 0) this.record(other.row, tMs, { rss: 0, pss: null, cpu: other.exitedCpu });
    }
    for (const [group, sum] of folded) {
      const other = this.otherOf(group, tMs);
      other.members = sum.members;
      const row = other.row;
      sum.values.cpu! += other.exitedCpu;
      row.lastSeenMs = tMs;
      row.peakRss = Math.max(row.peakRss ?? 0, sum.values.rss ?? 0);
      row.cpuUsec = sum.values.cpu;
      this.record(row, tMs, sum.values);
    }
  }

  /** The run ended: every process still there gets its last sighting written. */
  end(): void {
    for (const p of this.live.values()) this.left.add(p);
    for (const { row } of this.others.values()) this.left.add(row);
    this.live = new Map();
  }

  pending(): boolean {
    return this.values.length > 0 || this.newRows.length > 0 || this.left.size > 0;
  }

  /** Writes what is pending, inside the sample store's transaction; settle() then keeps or forgets it. */
  write(): void {
    const rows = this.newRows.length;
    const left = [...this.left];
    this.inFlight = { rows, values: this.values.length, left };
    for (const p of this.newRows) {
      p.id = Number(
        this.insertProcess.run({
          runId: this.runId,
          kind: p.kind,
          pid: p.pid,
          ppid: p.ppid,
          startMs: this.startMsOf(p),
          comm: p.comm,
          // The container's init is the runtime's until it execs the agent: read again once the name changed.
          cmdline: p.pid !== null && p.comm !== p.cmdlineComm ? (this.opts.cmdline(p.pid) ?? p.cmdline) : p.cmdline,
          parentId: p.parent?.id ?? null,
          groupId: p.group?.id ?? null,
          firstSeen: p.firstSeenMs,
          processKey: this.processKey(p),
        }).lastInsertRowid,
      );
      if (p.group === p) this.setOwnGroup.run(p.id);
    }
    for (const p of left) this.updateProcess.run({ id: p.id, comm: p.comm, lastSeen: p.lastSeenMs, peakRss: p.peakRss, cpu: p.cpuUsec });
    for (let i = 0; i < this.inFlight.values; i++) {
      const v = this.values[i];
      this.insertValue.run(v.process.id, v.tMs, v.rss, v.pss, v.cpu);
    }
  }

  private startMsOf(p: Known): number | null {
    return p.starttime === null || this.opts.bootMs === null ? null : Math.round(this.opts.bootMs + p.starttime * (USEC_PER_CLOCK_TICK / 1000));
  }

  /** processes.process_key (schema processes-002): what identifies the row within its run without its id. */
  private processKey(p: Known): string {
    if (p.kind === 'other') return `other:${p.group ? this.processKey(p.group) : ''}`;
    return `${p.pid}:${this.startMsOf(p) ?? ''}:${p.firstSeenMs}`;
  }

  settle(committed: boolean): void {
    const done = this.inFlight;
    this.inFlight = null;
    if (!done) return;
    if (!committed) {
      for (const p of this.newRows.slice(0, done.rows)) p.id = null; // rolled back: inserted again next time
      return;
    }
    this.newRows.splice(0, done.rows);
    for (const p of done.left) this.left.delete(p);
    this.values.splice(0, done.values);
  }

  /**
   * A value row when the values changed since the process's last one (PSS, read now and then, always). The
   * agent gets one at every tick: its rows say when per-process samples were taken.
   */
  private record(p: Known, tMs: number, v: Values): void {
    const w = p.written;
    if (p.kind !== 'agent' && w && w.rss === v.rss && w.cpu === v.cpu && v.pss === null) return;
    p.written = { ...v };
    this.values.push({ process: p, tMs, ...v });
  }

  private knownFor(e: ProcessEntry, tMs: number, live: Map<number, Known>): Known {
    const key = keyOf(e.pid, e.starttime);
    const seen = this.known.get(key);
    if (seen) return seen;
    const isAgent = e.pid === this.opts.agentPid;
    const parent = live.get(e.ppid) ?? this.live.get(e.ppid) ?? null;
    const p: Known = {
      id: null,
      kind: isAgent ? 'agent' : 'process',
      pid: e.pid,
      ppid: e.ppid,
      starttime: e.starttime,
      comm: e.comm,
      cmdline: this.opts.cmdline(e.pid),
      cmdlineComm: e.comm,
      parent,
      group: null,
      own: isAgent,
      firstSeenMs: tMs,
      lastSeenMs: tMs,
      peakRss: null,
      cpuUsec: null,
      written: null,
    };
    // A child of the agent roots a group; its descendants join it (and stay when re-parented to the agent).
    if (!isAgent) p.group = parent?.kind === 'agent' ? p : (parent?.group ?? null);
    this.known.set(key, p);
    this.newRows.push(p);
    return p;
  }

  private otherOf(group: Known | null, tMs: number): Other {
    let other = this.others.get(group);
    if (!other) {
      const row: Known = {
        id: null,
        kind: 'other',
        pid: null,
        ppid: null,
        starttime: null,
        comm: '(other)',
        cmdline: null,
        cmdlineComm: '(other)',
        parent: group,
        group,
        own: true,
        firstSeenMs: tMs,
        lastSeenMs: tMs,
        peakRss: null,
        cpuUsec: null,
        written: null,
      };
      other = { row, exitedCpu: 0, members: new Map() };
      this.others.set(group, other);
      this.newRows.push(row);
    }
    return other;
  }
}
