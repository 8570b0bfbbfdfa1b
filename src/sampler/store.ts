// Writing samples (batched, one transaction about every second) and, at the end, the run row's summary
// columns, aggregated from the stored samples.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import { decideLimitsEnforced, type RequestedLimits } from './limits.js';
import { SAMPLE_COLUMNS, type LimitsRead, type SampleValues, type SourceKind } from './sample.js';

export interface SamplerSummary {
  source: SourceKind | null;
  samples: number;
  peakMemoryBytes: number | null;
  kernelPeakMemoryBytes: number | null;
  cpuSeconds: number | null;
  throttledUsec: number | null;
  oomEvents: number | null;
  oomKillEvents: number | null;
  limitsEnforced: boolean | null;
}

const FLUSH_EVERY_MS = 1000;

/** Rows written inside the samples' transaction; settle() says whether it committed (else they stay pending). */
export interface TransactionPart {
  pending(): boolean;
  write(): void;
  settle(committed: boolean): void;
}

type Row = Record<string, string | number | null>;

export class SampleStore {
  private readonly insert: Statement;
  private pending: Row[] = [];
  private lastTms = 0;
  private lastFlushMs = Date.now();

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    /** Written in the same transaction as the samples (the per-process samples). */
    private readonly alsoFlush: TransactionPart | null = null,
  ) {
    const columns = ['run_id', 't_ms', 'source', ...SAMPLE_COLUMNS];
    this.insert = db.prepare(`INSERT INTO samples (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  }

  /** Returns the sample's t_ms (the per-process samples of the same tick take it too). */
  add(source: SourceKind, values: SampleValues, tMs = Date.now()): number {
    // Strictly increasing times: an OOM-triggered sample can land in the same millisecond as a tick.
    this.lastTms = Math.max(tMs, this.lastTms + 1);
    const row: Row = { run_id: this.runId, t_ms: this.lastTms, source };
    for (const column of SAMPLE_COLUMNS) row[column] = values[column] ?? null;
    this.pending.push(row);
    if (tMs - this.lastFlushMs >= FLUSH_EVERY_MS) this.flush();
    return this.lastTms;
  }

  /** Rows stay pending if the write fails (database busy), and go with the next flush. */
  flush(): void {
    this.lastFlushMs = Date.now();
    if (this.pending.length === 0 && !this.alsoFlush?.pending()) return;
    const rows = this.pending;
    try {
      this.db.transaction(() => {
        for (const row of rows) this.insert.run(row);
        this.alsoFlush?.write();
      })();
    } catch (e) {
      this.alsoFlush?.settle(false);
      throw e;
    }
    this.alsoFlush?.settle(true);
    this.pending = [];
  }

  /** Flushes, then writes and returns the run's summary. `source` is null when the container was never found. */
  finish(source: SourceKind | null, intervalMs: number, limits: LimitsRead): SamplerSummary {
    this.flush();
    const agg = this.db
      .prepare(
        `SELECT COUNT(*) AS samples, MAX(memory_current_bytes) AS peakMemory, MAX(memory_working_set_bytes) AS peakWorkingSet,
           MAX(memory_peak_bytes) AS kernelPeak, MAX(cpu_usage_usec) AS cpuUsec, MAX(cpu_throttled_usec) AS throttledUsec,
           MAX(memory_events_oom) AS oomEvents, MAX(memory_events_oom_kill) AS oomKillEvents
         FROM samples WHERE run_id = ?`,
      )
      .get(this.runId) as Record<'samples' | 'peakMemory' | 'peakWorkingSet' | 'kernelPeak' | 'cpuUsec' | 'throttledUsec' | 'oomEvents' | 'oomKillEvents', number | null>;
    const requested = this.db.prepare('SELECT memory_limit_bytes AS memoryBytes, cpus FROM runs WHERE id = ?').get(this.runId) as RequestedLimits | undefined;
    const sampled = agg.samples ? source : null;
    const summary: SamplerSummary = {
      source: sampled,
      samples: agg.samples ?? 0,
      peakMemoryBytes: agg.peakMemory,
      kernelPeakMemoryBytes: agg.kernelPeak,
      cpuSeconds: agg.cpuUsec === null ? null : agg.cpuUsec / 1e6,
      throttledUsec: agg.throttledUsec,
      oomEvents: agg.oomEvents,
      oomKillEvents: agg.oomKillEvents,
      limitsEnforced: decideLimitsEnforced(sampled, requested ?? { memoryBytes: null, cpus: null }, limits),
    };
    this.db
      .prepare(
        `UPDATE runs SET sample_source = @source, sample_count = @samples, sample_interval_ms = @intervalMs,
           limits_enforced = @limitsEnforced, memory_max_read = @memoryMax, cpu_max_read = @cpuMax,
           peak_memory_bytes = @peakMemory, peak_working_set_bytes = @peakWorkingSet, kernel_peak_memory_bytes = @kernelPeak,
           cpu_seconds = @cpuSeconds, throttled_usec = @throttledUsec, oom_events = @oomEvents, oom_kill_events = @oomKillEvents
         WHERE id = @id`,
      )
      .run({
        id: this.runId,
        source: summary.source,
        samples: summary.samples,
        intervalMs,
        limitsEnforced: summary.limitsEnforced === null ? null : summary.limitsEnforced ? 1 : 0,
        memoryMax: limits.memoryMax,
        cpuMax: limits.cpuMax,
        peakMemory: summary.peakMemoryBytes,
        peakWorkingSet: agg.peakWorkingSet,
        kernelPeak: summary.kernelPeakMemoryBytes,
        cpuSeconds: summary.cpuSeconds,
        throttledUsec: summary.throttledUsec,
        oomEvents: summary.oomEvents,
        oomKillEvents: summary.oomKillEvents,
      });
    return summary;
  }
}
