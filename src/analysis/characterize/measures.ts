// The study's measures over the valid tasks of a selection: pure aggregation of per-run facts, and each
// measure's definition (for --explain and docs/characterization.md). Units are in the keys: _pct (0–100),
// _mb (1e6 bytes), _x (a ratio), _min, _s, _ms, _n (a count).
import { BASH_FAMILIES, STUDY_CATEGORY_NAMES } from '../families.js';
import { percentile } from '../stats.js';
import { MB, maxOf, mean, STUDY, type Durations, type RunFacts } from './facts.js';
import type { RunMeta } from './series.js';

export type MeasureValue = number | string | null | Record<string, number | null>;
export type Characterization = Record<string, MeasureValue>;

const INTERVAL_NOTE = 'Depends on the sampling interval (sample_interval_ms)';

/** Every measure in output order, with how it is computed. */
export const MEASURES: { key: string; about: string }[] = [
  { key: 'runs_selected', about: 'finished runs the selection holds' },
  { key: 'tasks', about: 'tasks among them: an instance of a batch (a run without an instance is its own task)' },
  { key: 'valid_tasks', about: `tasks whose counted run (the last one; every run with --all-runs) has >= ${STUDY.validMinSamples} samples and >= ${STUDY.validMinSpanMs / 1000} s from the first to the last sample; every measure below is over these` },
  { key: 'sample_interval_ms', about: 'median over the valid tasks of each run\'s median time between consecutive samples (podman stats: about 1040 ms; agentpod: its --sample-interval, 100 ms by default)' },
  { key: 'sampling_note', about: 'how the valid tasks were sampled; says so when sources with different intervals are mixed, since the interval-dependent measures then mix them too' },
  { key: 'sample_sources', about: 'valid tasks per sample source (podman-stats: imported; cgroup-v2, cgroup-v1, proc: agentpod\'s sampler)' },
  { key: 'tool_time_ratio_median_pct', about: 'per task: sum over finished tool calls (subagents included) of (tool_result line time - tool_use line time) / (last - first trace line time; the run\'s duration when there is no trace), x100; the median over tasks (nearest rank)' },
  { key: 'tool_time_ratio_mean_pct', about: 'the same per-task ratio, mean over tasks' },
  { key: 'tool_time_share_pct', about: 'per tool: its calls\' summed durations / all calls\' summed durations, x100, over all valid tasks\' calls' },
  { key: 'tool_calls_n', about: 'per tool: finished calls' },
  { key: 'tool_call_mean_s', about: 'per tool: mean call duration, seconds' },
  { key: 'bash_time_share_pct', about: 'per study Bash category: its Bash calls\' summed durations / all Bash calls\' summed durations, x100' },
  { key: 'bash_time_share_by_family_pct', about: 'the same per agentpod command family (docs/queries.md)' },
  { key: 'framework_baseline_mb', about: 'per task: mean memory of the first 10% of samples (at least one) after dropping the first (start-up) reading; mean over tasks' },
  { key: 'framework_baseline_median_mb', about: 'the same per-task baseline, median over tasks (nearest rank)' },
  { key: 'tool_sample_share_pct', about: `samples taken inside a tool call (start <= t <= end for some finished call) / all samples, x100, pooled over tasks. ${INTERVAL_NOTE} only through how finely tool calls are resolved` },
  { key: 'mem_burst_in_tool_pct', about: `memory bursts (samples above ${STUDY.memBurstBytes / MB} MB) inside a tool call / all memory bursts, x100, pooled. A burst shorter than the interval can fall between two 1 s samples and be missed; at 100 ms it counts as several samples` },
  { key: 'cpu_burst_in_tool_pct', about: `CPU bursts (samples above ${STUDY.cpuBurstPercent}% of one core) inside a tool call / all CPU bursts, x100, pooled. CPU %: podman's figure for imported samples (podman 4 --no-stream: the container's average since it started, not the last second's); agentpod: the cumulative counter's rate over the last interval` },
  { key: 'p95_mem_spike_mb', about: `per study Bash category: over Bash calls of >= ${STUDY.minSpikeCallMs} ms with a sample inside, (largest memory inside) - (memory of the last sample before the call; the first inside when there is none); 95th percentile (nearest rank). ${INTERVAL_NOTE}: at 1 s short calls have no sample inside and the "before" sample is up to 1 s earlier` },
  { key: 'mean_mem_spike_mb', about: 'the same spikes, mean per category' },
  { key: 'mem_spike_calls_n', about: 'per category: Bash calls with a measured spike' },
  { key: 'p95_mem_spike_by_family_mb', about: 'the same spikes, 95th percentile per agentpod command family' },
  { key: 'mean_mem_spike_by_family_mb', about: 'the same spikes, mean per agentpod command family' },
  { key: 'cpu_overprovisioning_x', about: 'per task: peak CPU % / mean CPU %; mean over tasks (what a static limit at the peak reserves, in multiples of the mean use)' },
  { key: 'mem_overprovisioning_x', about: 'per task: peak memory / mean memory (0 readings left out, as the published summaries do); mean over tasks' },
  { key: 'cpu_static_waste_pct', about: '(1 - 1 / cpu_overprovisioning_x) x100: the share of a CPU limit set at the peak that goes unused on average' },
  { key: 'mem_static_waste_pct', about: 'the same for memory' },
  { key: 'peak_to_avg_mem_x_max', about: 'the largest per-task peak memory / mean memory' },
  { key: 'peak_to_avg_mem_run', about: 'the run where it is' },
  { key: 'peak_mem_min_mb', about: 'smallest per-task peak memory' },
  { key: 'peak_mem_max_mb', about: 'largest per-task peak memory' },
  { key: 'peak_mem_cv_pct', about: 'standard deviation (n - 1) / mean of the per-task peak memory, x100' },
  { key: 'max_mem_change_one_sample_mb', about: `the largest |memory difference| between consecutive samples of a task. ${INTERVAL_NOTE}: a change over one sample is a change over about 1 s at 1 s, over 0.1 s at 100 ms` },
  { key: 'max_mem_change_1s_mb', about: `the same over 1 s steps: each task's samples thinned to the first, then each first one at least ${STUDY.stepMs} ms after the last kept (every sample at the study's ~1.04 s, every ~10th at 100 ms), so 1 s and 100 ms data compare` },
  { key: 'mem_change_over_100mb_1s_pct', about: `1 s steps whose |memory difference| exceeds ${STUDY.bigChangeBytes / MB} MB / all 1 s steps, x100, pooled` },
  { key: 'change_events_1s_pct', about: `1 s steps (gaps over ${STUDY.eventMaxGapMs / 1000} s left out) where CPU changes faster than ${STUDY.eventCpuPercentPerS} %/s or memory faster than ${STUDY.eventMemBytesPerS / MB} MB/s / all such steps, x100, pooled (the study's "burst events")` },
  { key: 'retry_task_pct', about: `tasks with a retry loop (a run of >= ${STUDY.retryMinBashRun} consecutive Bash calls, finished calls taken in completion order, subagents included) / valid tasks, x100` },
  { key: 'retry_groups_per_task_avg', about: 'retry loops per task, mean over the tasks that have one' },
  { key: 'retry_max_consecutive', about: 'the longest run of consecutive Bash calls in any task' },
  { key: 'retry_time_pct', about: 'per task with a retry loop: summed durations of the calls in its loops / the run\'s duration, x100; mean over those tasks' },
  { key: 'cpu_mem_correlation_avg', about: `per task with >= ${STUDY.validMinSamples} samples having both: Pearson r of the CPU % and memory series; mean over tasks` },
  { key: 'cpu_mem_correlation_min', about: 'the smallest per-task r' },
  { key: 'cpu_mem_correlation_max', about: 'the largest per-task r' },
  { key: 'avg_cpu_pct', about: 'per task: mean CPU % of one core over its samples; mean over tasks' },
  { key: 'exec_time_mean_min', about: 'the counted runs\' durations (imported runs: claude_time, podman run to exit), mean, minutes' },
  { key: 'exec_time_median_min', about: 'the same, median (nearest rank)' },
  { key: 'exec_time_repeat_max_over_min_x', about: 'over tasks with several finished runs in the selection (all runs, not only the counted one): longest / shortest duration; the largest such ratio' },
  { key: 'exec_time_repeat_task', about: 'the task where it is' },
];

const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
const pct = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : null);

function sumDurations<K extends string>(facts: RunFacts[], pick: (f: RunFacts) => Map<K, Durations>): Map<K, Durations> {
  const total = new Map<K, Durations>();
  for (const f of facts) {
    for (const [k, d] of pick(f)) {
      const t = total.get(k) ?? { ms: 0, calls: 0 };
      t.ms += d.ms;
      t.calls += d.calls;
      total.set(k, t);
    }
  }
  return total;
}

/** Keys in a fixed order first (the categories, families), then the rest by their value, largest first. */
function keyed<K extends string>(map: Map<K, number | null>, order: readonly K[] = []): Record<string, number | null> {
  const keys = [...order.filter((k) => map.has(k)), ...[...map.keys()].filter((k) => !order.includes(k)).sort((a, b) => (map.get(b) ?? 0) - (map.get(a) ?? 0) || a.localeCompare(b))];
  return Object.fromEntries(keys.map((k) => [k, finite(map.get(k) ?? null)]));
}

function shares<K extends string>(durations: Map<K, Durations>, order: readonly K[] = []): Record<string, number | null> {
  const total = [...durations.values()].reduce((a, d) => a + d.ms, 0);
  return keyed(new Map([...durations].map(([k, d]) => [k, pct(d.ms, total)])), order);
}

function byGroup<K extends string>(values: { key: K; mb: number }[], stat: (v: number[]) => number | null, order: readonly K[]): Record<string, number | null> {
  const groups = new Map<K, number[]>();
  for (const v of values) groups.set(v.key, [...(groups.get(v.key) ?? []), v.mb]);
  return keyed(new Map([...groups].map(([k, v]) => [k, stat(v)])), order);
}

function stdev(values: number[]): number | null {
  const m = mean(values);
  if (m === null || values.length < 2) return null;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

const nonNull = <T>(values: (T | null)[]) => values.filter((v): v is T => v !== null);

/** Longest / shortest duration over the tasks with several finished runs. */
function repeatRatio(runs: RunMeta[]): { ratio: number | null; task: string | null } {
  const byTask = new Map<string, number[]>();
  for (const r of runs) if (r.durationMs !== null && r.durationMs > 0) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r.durationMs]);
  let best: { ratio: number | null; task: string | null } = { ratio: null, task: null };
  for (const [task, d] of byTask) {
    if (d.length < 2) continue;
    const ratio = Math.max(...d) / Math.min(...d);
    if (best.ratio === null || ratio > best.ratio) best = { ratio, task };
  }
  return best;
}

/** One line on how the tasks were sampled, and a warning when their sources' intervals differ. */
export function samplingNote(valid: RunFacts[]): string | null {
  const bySource = new Map<string, number[]>();
  for (const f of valid) if (f.intervalMs !== null) bySource.set(f.source ?? '(none)', [...(bySource.get(f.source ?? '(none)') ?? []), f.intervalMs]);
  if (!bySource.size) return null;
  const intervals = [...bySource].map(([source, v]) => ({ source, ms: percentile(v, 50)! }));
  const text = intervals.map((i) => `${i.source} every ${i.ms} ms`).join(', ');
  const ms = intervals.map((i) => i.ms);
  return Math.max(...ms) > 1.5 * Math.min(...ms) ? `MIXED sampling intervals (${text}): the interval-dependent measures mix them; select runs of one interval to compare` : `samples ${text}`;
}

/** The measures over `facts` (the counted runs, one per task unless --all-runs); `runs` is the whole selection. */
export function characterize(facts: RunFacts[], runs: RunMeta[]): Characterization {
  const valid = facts.filter((f) => f.valid);
  const ratios = nonNull(valid.map((f) => f.toolTimeRatioPct));
  const baselines = nonNull(valid.map((f) => f.baselineMb));
  const bursts = valid.reduce(
    (a, f) => ({ samples: a.samples + f.bursts.samples, inTool: a.inTool + f.bursts.inTool, mem: a.mem + f.bursts.mem, memInTool: a.memInTool + f.bursts.memInTool, cpu: a.cpu + f.bursts.cpu, cpuInTool: a.cpuInTool + f.bursts.cpuInTool }),
    { samples: 0, inTool: 0, mem: 0, memInTool: 0, cpu: 0, cpuInTool: 0 },
  );
  const tools = sumDurations(valid, (f) => f.toolDurations);
  const spikes = valid.flatMap((f) => f.spikes);
  const byCategory = spikes.map((s) => ({ key: s.category, mb: s.mb }));
  const byFamily = spikes.map((s) => ({ key: s.family, mb: s.mb }));
  const memOver = valid.filter((f) => f.memAvgMb && f.memPeakMb !== null).map((f) => ({ x: f.memPeakMb! / f.memAvgMb!, run: f.runId }));
  const cpuOver = nonNull(valid.map((f) => (f.cpuAvgPercent && f.cpuPeakPercent !== null ? f.cpuPeakPercent / f.cpuAvgPercent : null)));
  const cpuX = mean(cpuOver);
  const memX = mean(memOver.map((m) => m.x));
  const worst = memOver.reduce<{ x: number; run: string } | null>((a, m) => (a === null || m.x > a.x ? m : a), null);
  const peaks = nonNull(valid.map((f) => f.memPeakMb));
  const peakMean = mean(peaks);
  const peakSd = stdev(peaks);
  const steps = valid.reduce((a, f) => ({ steps: a.steps + f.steps, big: a.big + f.stepsOverBigChange, eventSteps: a.eventSteps + f.eventSteps, events: a.events + f.changeEvents }), { steps: 0, big: 0, eventSteps: 0, events: 0 });
  const withRetry = valid.filter((f) => f.retryGroups > 0);
  const correlations = nonNull(valid.map((f) => f.cpuMemCorrelation));
  const durations = nonNull(valid.map((f) => f.durationMs)).map((ms) => ms / 60_000);
  const repeat = repeatRatio(runs);
  const sources = new Map<string, number>();
  for (const f of valid) sources.set(f.source ?? '(none)', (sources.get(f.source ?? '(none)') ?? 0) + 1);
  const waste = (x: number | null) => (x === null || x <= 0 ? null : 100 * (1 - 1 / x));

  return {
    runs_selected: runs.length,
    tasks: new Set(runs.map((r) => r.task)).size,
    valid_tasks: valid.length,
    sample_interval_ms: percentile(valid.map((f) => f.intervalMs), 50),
    sampling_note: samplingNote(valid),
    sample_sources: keyed(sources),
    tool_time_ratio_median_pct: percentile(ratios, 50),
    tool_time_ratio_mean_pct: mean(ratios),
    tool_time_share_pct: shares(tools),
    tool_calls_n: keyed(new Map([...tools].map(([k, d]) => [k, d.calls]))),
    tool_call_mean_s: keyed(new Map([...tools].map(([k, d]) => [k, d.ms / d.calls / 1000]))),
    bash_time_share_pct: shares(sumDurations(valid, (f) => f.bashCategoryDurations), STUDY_CATEGORY_NAMES),
    bash_time_share_by_family_pct: shares(sumDurations(valid, (f) => f.bashFamilyDurations), BASH_FAMILIES),
    framework_baseline_mb: mean(baselines),
    framework_baseline_median_mb: percentile(baselines, 50),
    tool_sample_share_pct: pct(bursts.inTool, bursts.samples),
    mem_burst_in_tool_pct: pct(bursts.memInTool, bursts.mem),
    cpu_burst_in_tool_pct: pct(bursts.cpuInTool, bursts.cpu),
    p95_mem_spike_mb: byGroup(byCategory, (v) => percentile(v, 95), STUDY_CATEGORY_NAMES),
    mean_mem_spike_mb: byGroup(byCategory, mean, STUDY_CATEGORY_NAMES),
    mem_spike_calls_n: byGroup(byCategory, (v) => v.length, STUDY_CATEGORY_NAMES),
    p95_mem_spike_by_family_mb: byGroup(byFamily, (v) => percentile(v, 95), BASH_FAMILIES),
    mean_mem_spike_by_family_mb: byGroup(byFamily, mean, BASH_FAMILIES),
    cpu_overprovisioning_x: cpuX,
    mem_overprovisioning_x: memX,
    cpu_static_waste_pct: waste(cpuX),
    mem_static_waste_pct: waste(memX),
    peak_to_avg_mem_x_max: worst?.x ?? null,
    peak_to_avg_mem_run: worst?.run ?? null,
    peak_mem_min_mb: peaks.length ? Math.min(...peaks) : null,
    peak_mem_max_mb: maxOf(peaks),
    peak_mem_cv_pct: peakMean && peakSd !== null ? (100 * peakSd) / peakMean : null,
    max_mem_change_one_sample_mb: maxOf(nonNull(valid.map((f) => f.maxChangeOneSampleMb))),
    max_mem_change_1s_mb: maxOf(nonNull(valid.map((f) => f.maxChangeOneStepMb))),
    mem_change_over_100mb_1s_pct: pct(steps.big, steps.steps),
    change_events_1s_pct: pct(steps.events, steps.eventSteps),
    retry_task_pct: pct(withRetry.length, valid.length),
    retry_groups_per_task_avg: mean(withRetry.map((f) => f.retryGroups)),
    retry_max_consecutive: valid.length ? Math.max(...valid.map((f) => f.retryLongestBashRun)) : null,
    retry_time_pct: mean(nonNull(withRetry.map((f) => (f.durationMs ? (100 * f.retryMs) / f.durationMs : null)))),
    cpu_mem_correlation_avg: mean(correlations),
    cpu_mem_correlation_min: correlations.length ? Math.min(...correlations) : null,
    cpu_mem_correlation_max: maxOf(correlations),
    avg_cpu_pct: mean(nonNull(valid.map((f) => f.cpuAvgPercent))),
    exec_time_mean_min: mean(durations),
    exec_time_median_min: percentile(durations, 50),
    exec_time_repeat_max_over_min_x: repeat.ratio,
    exec_time_repeat_task: repeat.task,
  };
}
