// Resource control during one run: the soft limits asked for are read back once the container runs (a
// warning line and a recorded note when the host cannot apply them), the profile's schedule is applied by
// agentpod itself, and at the end the run's memory pressure is summed up: how long it was throttled.
import type { Db } from '../db/open.js';
import { softLimitsOf, type LimitChange, type Profile } from '../profiles.js';
import type { SourceLocation } from '../sampler/locate.js';
import { formatDuration } from '../units.js';
import { normalizeChange } from './cgroup-limits.js';
import { pressureLine, recordPressure, type RunPressure } from './pressure.js';
import { applyLimits, readLimits } from './apply.js';
import { readingLine, recordLimitEvents, softTargets } from './events.js';

export interface RunControlRequest {
  db: Db;
  runId: string;
  containerName: string;
  profile: Profile;
  /** The sampler's: what it samples, once the container runs. */
  located: Promise<SourceLocation | null>;
  log: (line: string) => void;
}


export interface RunControl {
  /** Stops the schedule and writes the run's pressure; call once the sampler has stopped. Idempotent. */
  finish(): Promise<RunPressure>;
}

/** Every limit the profile sets, as one change: what the start events read back. */
function startingLimits(p: Profile): LimitChange {
  const soft = softLimitsOf(p);
  const change: LimitChange = {};
  if (p.memoryBytes !== null) Object.assign(change, { memoryBytes: p.memoryBytes, memorySwapBytes: p.memorySwapBytes });
  if (p.cpus !== null) change.cpus = p.cpus;
  if (soft.memoryHighBytes !== null) change.memoryHighBytes = soft.memoryHighBytes;
  if (soft.memoryLowBytes !== null) change.memoryLowBytes = soft.memoryLowBytes;
  if (soft.cpuWeight !== null) change.cpuWeight = soft.cpuWeight;
  return change;
}

const SOFT_KEYS = ['memory-high', 'memory-low', 'cpu-weight'];

export function startRunControl(req: RunControlRequest): RunControl {
  const { db, runId, profile, log } = req;
  const soft = softLimitsOf(profile);
  const schedule = profile.schedule ?? [];
  db.prepare('INSERT OR REPLACE INTO run_controls (run_id, memory_high_bytes, memory_low_bytes, cpu_weight, schedule) VALUES (?, ?, ?, ?, ?)').run(
    runId,
    soft.memoryHighBytes,
    soft.memoryLowBytes,
    soft.cpuWeight,
    schedule.length ? JSON.stringify(schedule) : null,
  );
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  const started = req.located.then((location) => {
    if (stopped || location === null) return;
    const readings = readLimits(location, startingLimits(profile));
    recordLimitEvents(db, runId, Date.now(), 'start', readings);
    for (const r of readings) if (SOFT_KEYS.includes(r.key) && r.confirmed !== true) log(`run ${runId}: warning: ${readingLine(r)}`);
    const t0 = Date.now();
    for (const step of schedule) {
      const timer = setTimeout(() => {
        const applying = applyStep(location, step.change, step.afterMs).finally(() => inFlight.delete(applying));
        inFlight.add(applying);
      }, Math.max(0, step.afterMs - (Date.now() - t0)));
      timer.unref();
      timers.push(timer);
    }
  });

  async function applyStep(location: SourceLocation, change: LimitChange, afterMs: number): Promise<void> {
    if (stopped) return;
    const normalized = normalizeChange(change);
    try {
      const readings = await applyLimits(req.containerName, location, normalized, softTargets(db, runId));
      recordLimitEvents(db, runId, Date.now(), 'schedule', readings);
      log(`run ${runId}: schedule after ${formatDuration(afterMs)}: ${readings.map(readingLine).join('; ')}`);
    } catch (e) {
      log(`run ${runId}: schedule after ${formatDuration(afterMs)}: ${(e as Error).message}`);
    }
  }

  let finished: Promise<RunPressure> | null = null;
  return {
    finish: () =>
      (finished ??= (async () => {
        stopped = true;
        for (const t of timers) clearTimeout(t);
        await started.catch((e: Error) => log(`run ${runId}: reading the limits back failed: ${e.message}`));
        await Promise.all(inFlight);
        const pressure = recordPressure(db, runId);
        if (soft.memoryHighBytes !== null || (pressure.memoryHighEvents ?? 0) > 0) log(`run ${runId}: ${pressureLine(soft.memoryHighBytes, pressure)}`);
        return pressure;
      })()),
  };
}
