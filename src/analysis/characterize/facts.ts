// Per-run calculators of `query characterize`: everything one run contributes to the study's measures, from
// its samples and tool windows alone. Pure; the definitions are in docs/characterization.md.
import { bashFamily, studyBashCategory, type BashFamily, type StudyBashCategory } from '../families.js';
import { percentile } from '../stats.js';
import type { RunSeries, Sample } from './series.js';

/** The study's thresholds (docs/characterization.md). */
export const STUDY = {
  validMinSamples: 10,
  validMinSpanMs: 60_000,
  baselineShare: 0.1,
  memBurstBytes: 300e6,
  cpuBurstPercent: 30,
  minSpikeCallMs: 100,
  retryMinBashRun: 3,
  bigChangeBytes: 100e6,
  /** The study's "burst events" between samples: CPU changing faster than 20 %/s or memory faster than 50 MB/s (gaps over 2 s skipped). */
  eventCpuPercentPerS: 20,
  eventMemBytesPerS: 50e6,
  eventMaxGapMs: 2000,
  /** Change measures are also taken on 1 s steps, so 100 ms and 1 s samples can be compared. */
  stepMs: 1000,
  trajectoryPoints: 101,
} as const;

export const MB = 1e6;

export interface Spike {
  category: StudyBashCategory;
  family: BashFamily;
  mb: number;
}

export interface BurstCounts {
  samples: number;
  inTool: number;
  mem: number;
  memInTool: number;
  cpu: number;
  cpuInTool: number;
}

export interface Durations {
  ms: number;
  calls: number;
}

export interface RunFacts {
  runId: string;
  task: string;
  origin: string;
  source: string | null;
  sampleCount: number;
  spanMs: number;
  valid: boolean;
  /** Median time between consecutive samples. */
  intervalMs: number | null;
  durationMs: number | null;
  toolTimeRatioPct: number | null;
  toolDurations: Map<string, Durations>;
  bashCategoryDurations: Map<StudyBashCategory, Durations>;
  bashFamilyDurations: Map<BashFamily, Durations>;
  baselineMb: number | null;
  bursts: BurstCounts;
  spikes: Spike[];
  memPeakMb: number | null;
  memAvgMb: number | null;
  cpuPeakPercent: number | null;
  cpuAvgPercent: number | null;
  maxChangeOneSampleMb: number | null;
  maxChangeOneStepMb: number | null;
  steps: number;
  stepsOverBigChange: number;
  /** 1 s steps (gaps over 2 s left out) and those that are change events. */
  eventSteps: number;
  changeEvents: number;
  retryGroups: number;
  retryLongestBashRun: number;
  retryMs: number;
  cpuMemCorrelation: number | null;
  /** Memory (MB) at evenly spaced points of the run's progress (0..1 of its sampled span); null below 2 samples. */
  trajectoryMb: number[] | null;
}

export const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
/** The largest value (null for none); no spread, so long series do not overflow the stack. */
export const maxOf = (v: readonly number[]) => (v.length ? v.reduce((a, b) => (b > a ? b : a), -Infinity) : null);

/** Pearson's r of two equally long series; null when one of them does not vary. */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2 || y.length !== n) return null;
  const mx = mean(x)!;
  const my = mean(y)!;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/** Index of the first t >= value in ascending `ts`. */
function lowerBound(ts: readonly number[], value: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The samples a change is measured between: the first, then each first one at least `stepMs` after the last kept. */
export function stepSamples<T extends { tMs: number }>(samples: readonly T[], stepMs: number): T[] {
  const kept: T[] = [];
  for (const s of samples) if (!kept.length || s.tMs - kept[kept.length - 1].tMs >= stepMs) kept.push(s);
  return kept;
}

function maxAbsChange(values: readonly number[]): number | null {
  let max: number | null = null;
  for (let i = 1; i < values.length; i++) max = Math.max(max ?? 0, Math.abs(values[i] - values[i - 1]));
  return max;
}

/** Memory at `points` evenly spaced moments from the first to the last sample, linearly interpolated. */
export function trajectory(samples: readonly { tMs: number; mb: number }[], points: number): number[] | null {
  if (samples.length < 2) return null;
  const t0 = samples[0].tMs;
  const span = samples[samples.length - 1].tMs - t0;
  if (span <= 0) return null;
  const out: number[] = [];
  let j = 0;
  for (let k = 0; k < points; k++) {
    const t = t0 + (span * k) / (points - 1);
    while (j < samples.length - 2 && samples[j + 1].tMs < t) j++;
    const a = samples[j];
    const b = samples[j + 1];
    out.push(b.tMs === a.tMs ? b.mb : a.mb + ((b.mb - a.mb) * (t - a.tMs)) / (b.tMs - a.tMs));
  }
  return out;
}

interface Window {
  tool: string;
  command: string | null;
  startMs: number;
  endMs: number;
  seq: number | null;
}

const add = <K>(map: Map<K, Durations>, key: K, ms: number) => {
  const d = map.get(key) ?? { ms: 0, calls: 0 };
  d.ms += ms;
  d.calls++;
  map.set(key, d);
};

/** Whether each sample time falls in some window [start, end] (windows may overlap). */
function coveredByWindows(ts: readonly number[], windows: readonly Window[]): boolean[] {
  const covered = new Array<boolean>(ts.length).fill(false);
  for (const w of windows) for (let i = lowerBound(ts, w.startMs); i < ts.length && ts[i] <= w.endMs; i++) covered[i] = true;
  return covered;
}

/** Consecutive samples whose CPU or memory changes faster than the study's event rates. */
export function changeEvents(samples: readonly Sample[]): { steps: number; events: number } {
  let steps = 0;
  let events = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dtMs = b.tMs - a.tMs;
    if (dtMs <= 0 || dtMs > STUDY.eventMaxGapMs) continue;
    steps++;
    const memRate = a.memory !== null && b.memory !== null ? Math.abs(b.memory - a.memory) / (dtMs / 1000) : 0;
    const cpuRate = a.cpuPercent !== null && b.cpuPercent !== null ? Math.abs(b.cpuPercent - a.cpuPercent) / (dtMs / 1000) : 0;
    if (memRate > STUDY.eventMemBytesPerS || cpuRate > STUDY.eventCpuPercentPerS) events++;
  }
  return { steps, events };
}

/** The study's retry loops: runs of ≥ 3 consecutive Bash calls, the calls taken in completion order. */
export function retryRuns(windows: readonly Window[]): { groups: number; longest: number; ms: number } {
  const ordered = [...windows].sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs || (a.seq ?? 0) - (b.seq ?? 0));
  let groups = 0;
  let longest = 0;
  let ms = 0;
  let run: Window[] = [];
  const close = () => {
    longest = Math.max(longest, run.length);
    if (run.length >= STUDY.retryMinBashRun) {
      groups++;
      ms += run.reduce((sum, w) => sum + (w.endMs - w.startMs), 0);
    }
    run = [];
  };
  for (const w of ordered) {
    if (w.tool === 'Bash') run.push(w);
    else close();
  }
  close();
  return { groups, longest, ms };
}

export function runFacts(run: RunSeries): RunFacts {
  const all = run.samples;
  const spanMs = all.length ? all[all.length - 1].tMs - all[0].tMs : 0;
  // "0B / 0B" readings come after the container ended: no memory or CPU was measured there.
  const measured: Sample[] = all.filter((s) => s.flag !== 'gone');
  const ts = measured.map((s) => s.tMs);
  const mem = measured.filter((s) => s.memory !== null).map((s) => ({ tMs: s.tMs, mb: s.memory! / MB }));
  const cpu = measured.map((s) => s.cpuPercent).filter((c): c is number => c !== null);

  const windows: Window[] = run.calls
    .filter((c) => c.startMs !== null && c.endMs !== null)
    .map((c) => ({ tool: c.tool, command: c.command, startMs: c.startMs!, endMs: Math.max(c.startMs!, c.endMs!), seq: c.seq }));
  const toolDurations = new Map<string, Durations>();
  const bashCategoryDurations = new Map<StudyBashCategory, Durations>();
  const bashFamilyDurations = new Map<BashFamily, Durations>();
  let toolMs = 0;
  for (const w of windows) {
    const ms = w.endMs - w.startMs;
    toolMs += ms;
    add(toolDurations, w.tool, ms);
    if (w.tool === 'Bash') {
      add(bashCategoryDurations, studyBashCategory(w.command), ms);
      add(bashFamilyDurations, bashFamily(w.command), ms);
    }
  }
  // Active time: first to last trace line; without a trace (windows from tool_calls.json), the run's duration.
  const activeMs = run.traceSpan ? run.traceSpan.lastMs - run.traceSpan.firstMs : run.durationMs;
  const toolTimeRatioPct = activeMs && activeMs > 0 ? (100 * toolMs) / activeMs : null;

  const afterStartup = mem.slice(1);
  const baselineCount = Math.max(1, Math.floor(afterStartup.length * STUDY.baselineShare));
  const baselineMb = afterStartup.length ? mean(afterStartup.slice(0, baselineCount).map((m) => m.mb)) : null;

  const inTool = coveredByWindows(ts, windows);
  const bursts: BurstCounts = { samples: measured.length, inTool: 0, mem: 0, memInTool: 0, cpu: 0, cpuInTool: 0 };
  measured.forEach((s, i) => {
    const memBurst = s.memory !== null && s.memory > STUDY.memBurstBytes;
    const cpuBurst = s.cpuPercent !== null && s.cpuPercent > STUDY.cpuBurstPercent;
    if (inTool[i]) bursts.inTool++;
    if (memBurst) bursts.mem++;
    if (cpuBurst) bursts.cpu++;
    if (memBurst && inTool[i]) bursts.memInTool++;
    if (cpuBurst && inTool[i]) bursts.cpuInTool++;
  });

  const memTs = mem.map((m) => m.tMs);
  const spikes: Spike[] = [];
  for (const w of windows) {
    if (w.tool !== 'Bash' || w.endMs - w.startMs < STUDY.minSpikeCallMs) continue;
    const first = lowerBound(memTs, w.startMs);
    let peak: number | null = null;
    for (let i = first; i < mem.length && memTs[i] <= w.endMs; i++) peak = Math.max(peak ?? -Infinity, mem[i].mb);
    if (peak === null) continue;
    const base = first > 0 ? mem[first - 1].mb : mem[first].mb;
    spikes.push({ category: studyBashCategory(w.command), family: bashFamily(w.command), mb: peak - base });
  }

  const memValues = mem.map((m) => m.mb).filter((v) => v > 0);
  const steps = stepSamples(mem, STUDY.stepMs);
  const stepChanges = steps.slice(1).map((s, i) => Math.abs(s.mb - steps[i].mb));
  const events = changeEvents(stepSamples(measured.filter((s) => s.memory !== null), STUDY.stepMs));
  const retry = retryRuns(windows);
  const paired = measured.filter((s) => s.memory !== null && s.cpuPercent !== null);
  const intervals = all.slice(1).map((s, i) => s.tMs - all[i].tMs);

  return {
    runId: run.runId,
    task: run.task,
    origin: run.origin,
    source: run.sampleSource,
    sampleCount: all.length,
    spanMs,
    valid: all.length >= STUDY.validMinSamples && spanMs >= STUDY.validMinSpanMs,
    intervalMs: percentile(intervals, 50),
    durationMs: run.durationMs,
    toolTimeRatioPct,
    toolDurations,
    bashCategoryDurations,
    bashFamilyDurations,
    baselineMb,
    bursts,
    spikes,
    memPeakMb: maxOf(memValues),
    memAvgMb: mean(memValues),
    cpuPeakPercent: maxOf(cpu),
    cpuAvgPercent: mean(cpu),
    maxChangeOneSampleMb: maxAbsChange(mem.map((m) => m.mb)),
    maxChangeOneStepMb: maxOf(stepChanges),
    steps: stepChanges.length,
    stepsOverBigChange: stepChanges.filter((c) => c * MB > STUDY.bigChangeBytes).length,
    eventSteps: events.steps,
    changeEvents: events.events,
    retryGroups: retry.groups,
    retryLongestBashRun: retry.longest,
    retryMs: retry.ms,
    cpuMemCorrelation: paired.length >= STUDY.validMinSamples ? pearson(paired.map((s) => s.cpuPercent!), paired.map((s) => s.memory!)) : null,
    trajectoryMb: trajectory(mem, STUDY.trajectoryPoints),
  };
}
