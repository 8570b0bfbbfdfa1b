// The sampling loop of one run: find the container, sample it every interval (and at once on an OOM event),
// and on stop() take the final sample and write the run's summary.
import type { Db } from '../db/open.js';
import { locateSource, openSource, waitForRunningContainer, type SourceLocation } from './locate.js';
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
  log?: (line: string) => void;
}

export interface Sampler {
  /** Takes the final sample (call it after the container exited, before it is removed) and writes the summary. */
  stop(): Promise<SamplerSummary>;
}

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
  const store = new SampleStore(opts.db, opts.runId);
  let stopping = false;
  let source: SampleSource | null = null;
  let limits: LimitsRead = { memoryMax: null, cpuMax: null };
  let gone = false;
  let timer: NodeJS.Timeout | undefined;
  let unwatch = () => {};

  const sample = () => {
    if (!source || gone) return;
    const values = source.read();
    // Gone (cgroup removed, init exited): the values already stored are the last ones.
    if (isEmptySample(values)) {
      gone = true;
      return;
    }
    try {
      store.add(source.kind, values);
    } catch (e) {
      log(`sampler: cannot store samples (will retry): ${(e as Error).message}`);
    }
  };

  const started = locate(() => stopping)
    .then((location) => {
      if (!location) return;
      if (location.kind === 'proc') log(`sampler: sampling the process tree of pid ${location.pid} (${location.reason})`);
      if (location.kind === 'slurm-step') log(`sampler: ${location.step.kind} in Slurm step ${location.step.step}, whose cgroup enforces the limits`);
      source = openSource(location);
      // Read while the container runs: after it exits its cgroup may be gone.
      limits = source.readLimits();
      sample();
      if (stopping) return;
      timer = setInterval(sample, opts.intervalMs);
      // The sampler must never keep agentpod alive on its own.
      timer.unref();
      unwatch = source.watchOom?.(sample) ?? unwatch;
    })
    .catch((e: Error) => log(`sampler: ${e.message}`));

  return {
    async stop() {
      stopping = true;
      await started;
      clearInterval(timer);
      unwatch();
      sample();
      const kind = source?.kind ?? null;
      source?.close();
      source = null;
      return store.finish(kind, opts.intervalMs, limits);
    },
  };
}
