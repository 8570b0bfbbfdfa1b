// `batch --parallel auto`: the loop that starts trials as the memory budget allows (admission.ts decides),
// the predictions from earlier trials in the database, and the pass's memory against its budget at the end.
import type { Db } from '../db/open.js';
import type { Profile } from '../profiles.js';
import { admit, maxConcurrent, peakOfSum, predictPeak, type MemoryPoint, type Prediction } from './admission.js';
import { FINISHED_STATUSES, trialLabel, type TrialKey } from './matrix.js';

export interface BudgetedRun {
  budgetBytes: number;
  predict(key: TrialKey): Prediction;
  /** Why the next trial waits (null: it no longer does), and notes on trials let through. */
  onWait(reason: string | null): void;
  onNote(note: string): void;
  signal: AbortSignal;
}

/** Runs the queue's trials in order, each as soon as its predicted peak fits next to the running ones'. */
export async function runWithinBudget(queue: TrialKey[], runOne: (key: TrialKey) => Promise<void>, b: BudgetedRun): Promise<void> {
  const running = new Map<Promise<void>, number>();
  while (queue.length && !b.signal.aborted) {
    const key = queue[0];
    const prediction = b.predict(key);
    const verdict = admit(trialLabel(key), prediction, [...running.values()], b.budgetBytes);
    if (!verdict.admit) {
      b.onWait(verdict.reason);
      await Promise.race(running.keys());
      continue;
    }
    b.onWait(null);
    if (verdict.note) b.onNote(verdict.note);
    queue.shift();
    const trial: Promise<void> = runOne(key).finally(() => running.delete(trial));
    running.set(trial, prediction.bytes);
  }
  await Promise.all(running.keys());
}

/** Predictions from the peaks of earlier finished trials of the same instance and profile, read when asked. */
export function historyPredictor(db: Db, profiles: Profile[], budgetBytes: number): (key: TrialKey) => Prediction {
  const limitOf = new Map(profiles.map((p) => [p.name, p.memoryBytes]));
  const peaks = db.prepare(
    `SELECT peak_memory_bytes AS peak FROM runs
     WHERE instance_id = ? AND profile = ? AND peak_memory_bytes IS NOT NULL AND status IN (SELECT value FROM json_each(?))`,
  );
  const finished = JSON.stringify(FINISHED_STATUSES);
  return (key) => predictPeak((peaks.all(key.instanceId, key.profile, finished) as { peak: number }[]).map((r) => r.peak), limitOf.get(key.profile) ?? null, budgetBytes);
}

export interface PassMemory {
  budgetBytes: number | null;
  peakSumBytes: number;
  peakAtMs: number | null;
  maxRunning: number;
}

/**
 * The pass's trials (the batch's runs started since `passStartedAt`): the peak of the sum of their sampled
 * memory, and how many ran at once; stored in batch_memory.
 */
export function recordPassMemory(db: Db, batchId: string, passStartedAt: number, budgetBytes: number | null): PassMemory {
  const runs = db.prepare('SELECT id, started_at AS startMs, finished_at AS endMs FROM runs WHERE batch_id = ? AND started_at >= ?').all(batchId, passStartedAt) as { id: string; startMs: number; endMs: number | null }[];
  const samples = db
    .prepare(
      `SELECT s.run_id AS runId, s.t_ms AS tMs, s.memory_current_bytes AS bytes FROM samples s
       WHERE s.run_id IN (SELECT id FROM runs WHERE batch_id = ? AND started_at >= ?) ORDER BY s.t_ms`,
    )
    .iterate(batchId, passStartedAt) as IterableIterator<MemoryPoint>;
  const ends = runs.filter((r) => r.endMs !== null).map((r) => ({ runId: r.id, tMs: r.endMs!, bytes: 0 })).sort((a, b) => a.tMs - b.tMs);
  const peak = peakOfSum(mergeByTime(samples, ends));
  const memory = { budgetBytes, peakSumBytes: peak.peakBytes, peakAtMs: peak.atMs, maxRunning: maxConcurrent(runs) };
  db.prepare(
    `INSERT OR REPLACE INTO batch_memory (batch_id, pass_started_at, budget_bytes, peak_sum_bytes, peak_at_ms, max_running)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(batchId, passStartedAt, memory.budgetBytes, memory.peakSumBytes, memory.peakAtMs, memory.maxRunning);
  return memory;
}

/** Two time-ordered streams as one (the samples stream from SQLite; a run's end comes after its last sample). */
function* mergeByTime(a: Iterator<MemoryPoint>, b: MemoryPoint[]): Generator<MemoryPoint> {
  let i = 0;
  for (let next = a.next(); !next.done; next = a.next()) {
    while (i < b.length && b[i].tMs < next.value.tMs) yield b[i++];
    yield next.value;
  }
  while (i < b.length) yield b[i++];
}
