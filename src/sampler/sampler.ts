// The sampling loop of one run: find the container, sample it every interval (and at once on an OOM event),
// and on stop() take the final sample and write the run's summary.
import type { Db } from '../db/open.js';
import { locateSource, openSource, waitForRunningContainer, type SourceLocation } from './locate.js';
import { ProcessStore } from './process-store.js';
import { bootTimeMs } from './process-table.js';
import type { OomCounts } from './oom-watch.js';
import { isEmptySample, type LimitsRead, type SampleSource } from './sample.js';
import { SampleStore, type SamplerSummary } from './store.js';

export type { SamplerSummary } from './store.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 100;

/** How often podman inspect is asked whether the container runs yet (each ask spawns podman). */
const LOCATE_POLL_MS = 100;

export interface SamplerOptions {
  db: Db;
  runId: string;
  containerName: string;
  intervalMs: number;
  /** Per-process samples with every Nth sample (0: none; default DEFAULT_PROCESS_SAMPLE_EVERY). */
  processSampleEvery?: number;
  /** Processes under this RSS are folded into their group's "(other)" row (default 16 MiB). */
  processFoldBelowBytes?: number;
  log?: (line: string) => void;
}

export interface Sampler {
  /** What is sampled, once the container runs; null if it never did (or stop came first). */
  readonly located: Promise<SourceLocation | null>;
  /** Takes the final sample (call it after the container exited, before it is removed) and writes the summary. */
  stop(): Promise<SamplerSummary>;
}

/** Per-process samples with every sample: about 0.5 % of one core more at 100 ms, 0.1 % at 1 s (docs/sampler.md, Cost). */
export const DEFAULT_PROCESS_SAMPLE_EVERY = 1;

/** Finds what to sample; null when there is nothing (the container never ran, or stop came first). */
export type Locator = (shouldStop: () => boolean) => Promise<SourceLocation | null>;

/** Starts sampling the named container; returns at once, the container may not exist yet. */
export function startSampler(opts: SamplerOptions): Sampler {
  const log = opts.log ?? (() => {});
  return startSamplerWith(opts, async (shouldStop) => {
    const container = await waitForRunningContainer(opts.containerName, shouldStop, LOCATE_POLL_MS, log);
    return container && locateSource(container);
  });
}

/** The loop itself, with the locator passed in (tests hand it a fake cgroup directory). */
export function startSamplerWith(opts: SamplerOptions, locate: Locator): Sampler {
  const log = opts.log ?? (() => {});
  const processEvery = opts.processSampleEvery ?? DEFAULT_PROCESS_SAMPLE_EVERY;
  let processes: ProcessStore | null = null;
  const store = new SampleStore(opts.db, opts.runId, {
    pending: () => processes?.pending() ?? false,
    write: () => processes?.write(),
    settle: (committed) => processes?.settle(committed),
  });
  let stopping = false;
  let source: SampleSource | null = null;
  let limits: LimitsRead = { memoryMax: null, cpuMax: null };
  let gone = false;
  let timer: NodeJS.Timeout | undefined;
  let unwatch = () => {};
  let ticks = 0;

  /**
   * `withProcesses`: the interval's ticks (every Nth) and the first and final samples; not OOM-triggered ones,
   * which bring the counts the watch read (kept when the cgroup went away before this read: an init's kill).
   */
  const sample = (withProcesses: boolean, seen?: OomCounts) => {
    if (!source || gone) return;
    const values = source.read();
    if (seen) {
      values.memory_events_oom ??= seen.memory_events_oom;
      values.memory_events_oom_kill ??= seen.memory_events_oom_kill;
    }
    // Gone (cgroup removed, init exited): the values already stored are the last ones.
    if (isEmptySample(values)) {
      gone = true;
      return;
    }
    try {
      const tMs = store.add(source.kind, values);
      // Written with the next flush of the samples.
      if (withProcesses && processes && source.processes) processes.add(tMs, source.processes());
    } catch (e) {
      log(`sampler: cannot store samples (will retry): ${(e as Error).message}`);
    }
  };
  const tick = () => sample(processEvery > 0 && ++ticks % processEvery === 0);

  const located = locate(() => stopping);
  const started = located
    .then((location) => {
      if (!location) return;
      if (location.kind === 'proc') log(`sampler: sampling the process tree of pid ${location.pid} (${location.reason})`);
      if (location.kind === 'slurm-step') log(`sampler: ${location.step.kind} in Slurm step ${location.step.step}, whose cgroup enforces the limits`);
      const opened = openSource(location);
      source = opened;
      // First: an init OOM-killed at once takes its cgroup with it within milliseconds, before the setup below.
      unwatch = opened.watchOom?.((seen) => sample(false, seen)) ?? unwatch;
      if (processEvery > 0 && opened.processes) {
        processes = new ProcessStore(opts.db, opts.runId, {
          agentPid: location.pid ?? null,
          bootMs: bootTimeMs(),
          foldBelowBytes: opts.processFoldBelowBytes,
          cmdline: (pid) => opened.cmdline?.(pid) ?? null,
        });
      }
      // Read while the container runs: after it exits its cgroup may be gone.
      limits = opened.readLimits();
      sample(processes !== null);
      if (stopping) return;
      timer = setInterval(tick, opts.intervalMs);
      // The sampler must never keep agentpod alive on its own.
      timer.unref();
    })
    .catch((e: Error) => log(`sampler: ${e.message}`));

  return {
    located: located.catch(() => null),
    async stop() {
      stopping = true;
      await started;
      clearInterval(timer);
      unwatch();
      sample(processes !== null);
      processes?.end();
      const kind = source?.kind ?? null;
      source?.close();
      source = null;
      return store.finish(kind, opts.intervalMs, limits);
    },
  };
}
