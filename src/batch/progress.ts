// Batch progress. On a terminal: one block (counts, running trials, elapsed, ETA) redrawn in place, with
// log lines printed above it. Otherwise: one plain line per event, nothing redrawn.
import { formatDuration } from '../units.js';

export type TrialEnd = 'ok' | 'failed' | 'oom' | 'timeout' | 'interrupted' | 'error';
export const TRIAL_ENDS: readonly TrialEnd[] = ['ok', 'failed', 'oom', 'timeout', 'interrupted', 'error'];

export interface ProgressState {
  batchId: string;
  /** Trials in the matrix. */
  total: number;
  /** Finished in earlier passes. */
  skipped: number;
  parallel: number;
  counts: Record<TrialEnd, number>;
  running: Map<string, number>;
  startedAt: number;
  /** Durations of the trials this pass ran to an end (interrupted and errors excluded). */
  durationsMs: number[];
  /** Gradings this pass made, by status (resolved, unresolved, …). */
  verdicts: Record<string, number>;
}

const ended = (s: ProgressState) => TRIAL_ENDS.reduce((sum, e) => sum + s.counts[e], 0);
/** Trials with a result: from earlier passes, or ended ok/failed/oom/timeout in this one. */
const done = (s: ProgressState) => s.skipped + s.counts.ok + s.counts.failed + s.counts.oom + s.counts.timeout;

/** Mean trial time × the trials left, spread over the parallel slots; null before the first trial ends. */
export function etaMs(s: ProgressState): number | null {
  if (s.durationsMs.length === 0) return null;
  const left = s.total - s.skipped - ended(s);
  if (left <= 0) return 0;
  const mean = s.durationsMs.reduce((a, b) => a + b, 0) / s.durationsMs.length;
  return (left * mean) / Math.min(s.parallel, left);
}

function countsText(s: ProgressState): string {
  const counts = TRIAL_ENDS.filter((e) => e !== 'interrupted' || s.counts.interrupted > 0).map((e) => `${e} ${s.counts[e]}`).join(', ');
  return `${done(s)}/${s.total} done (${counts}${s.skipped ? `; ${s.skipped} from earlier passes` : ''})`;
}

function verdictsText(s: ProgressState): string {
  const graded = Object.values(s.verdicts).reduce((a, b) => a + b, 0);
  return graded ? ` · ${s.verdicts.resolved ?? 0}/${graded} graded resolved` : '';
}

function timingText(s: ProgressState, now: number): string {
  const eta = s.running.size > 0 ? etaMs(s) : null;
  return `${s.running.size} running · elapsed ${formatDuration(now - s.startedAt)}${eta === null ? '' : ` · ETA ${formatDuration(eta)}`}`;
}

export function summaryLine(s: ProgressState, now: number): string {
  return `batch ${s.batchId}: ${countsText(s)}${verdictsText(s)} · ${timingText(s, now)}`;
}

/** The terminal block: counts, timing, then one line per running trial (short lines: they are redrawn). */
export function progressBlock(s: ProgressState, now: number): string[] {
  return [
    `batch ${s.batchId}: ${countsText(s)}${verdictsText(s)}`,
    `  ${timingText(s, now)}`,
    ...[...s.running].map(([label, since]) => `  running ${label}  ${formatDuration(now - since)}`),
  ];
}

export class BatchProgress {
  readonly state: ProgressState;
  private drawnLines = 0;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly out: NodeJS.WriteStream,
    init: { batchId: string; total: number; skipped: number; parallel: number },
    private readonly tty = Boolean(out.isTTY),
  ) {
    this.state = {
      ...init,
      counts: { ok: 0, failed: 0, oom: 0, timeout: 0, interrupted: 0, error: 0 },
      running: new Map(),
      startedAt: Date.now(),
      durationsMs: [],
      verdicts: {},
    };
    // Elapsed and the running times move on their own: redraw every second (unref: never keeps node alive).
    this.timer = this.tty ? setInterval(() => this.redraw(), 1000).unref() : null;
    this.redraw();
  }

  started(label: string): void {
    this.state.running.set(label, Date.now());
    this.redraw();
  }

  ended(label: string, end: TrialEnd, detail: string): void {
    const since = this.state.running.get(label);
    this.state.running.delete(label);
    this.state.counts[end]++;
    if (since !== undefined && end !== 'interrupted' && end !== 'error') this.state.durationsMs.push(Date.now() - since);
    this.log(`[${done(this.state)}/${this.state.total}] ${label}: ${end}${detail ? ` ${detail}` : ''}`);
  }

  graded(status: string): void {
    this.state.verdicts[status] = (this.state.verdicts[status] ?? 0) + 1;
  }

  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  /** Leaves the last block on screen (terminal) or prints the summary once (plain). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.redraw();
    else this.out.write(`${summaryLine(this.state, Date.now())}\n`);
    this.drawnLines = 0;
  }

  private clear(): void {
    // Up to the block's first line, then erase to the end of the screen.
    if (this.drawnLines > 0) this.out.write(`\r\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const width = this.out.columns ?? 120;
    const lines = progressBlock(this.state, Date.now()).map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l));
    this.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}
