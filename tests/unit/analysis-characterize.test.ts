// `query characterize` against hand-computed values: the imported fixtures (tests/fixtures/agentcgroup, see
// agentcgroup-import.test.ts) at the study's ~1 s, and an agentpod run sampled from cgroup v2 at 100 ms with the
// real fixture trace (traces/fixtures/cli).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeEvents, pearson, retryRuns, stepSamples, trajectory } from '../../src/analysis/characterize/facts.js';
import { characterizeRows, characterizeRuns } from '../../src/analysis/characterize/index.js';
import { MEASURES } from '../../src/analysis/characterize/measures.js';
import { findQuery } from '../../src/analysis/index.js';
import type { RunFilter } from '../../src/analysis/filter.js';
import type { Db } from '../../src/db/open.js';
import { importAgentcgroup } from '../../src/importers/agentcgroup/index.js';
import { loadBatchReport, renderBatchReport } from '../../src/report/batch-report.js';
import { progressBand } from '../../src/report/characterization.js';
import { analysisDb, FIXTURE_SESSION, ingestFixtureTrace, insertBatch, insertRun, insertSamples, MB } from '../helpers/analysis-db.js';
import { repoRoot } from '../helpers/user.js';

const FIXTURES = join(repoRoot, 'tests', 'fixtures', 'agentcgroup');
const T = 1795356487000; // the cli fixture trace: lines from T + 120 to T + 484 (subagent included)

let db: Db;
let dir: string;
beforeAll(async () => {
  ({ db, dir } = analysisDb());
  await importAgentcgroup(db, [join(FIXTURES, 'set_a'), join(FIXTURES, 'set_b')]);
  await ingestFixtureTrace(db);
  insertBatch(db, 'own');
  // An agentpod run sampled every 100 ms for 60 s: 200 MB throughout but 500 MB at T+300 (inside the Bash call
  // 268–330) and 250 MB at T+400; the CPU counter grows 10 ms per 100 ms (10% of a core), 80 ms in the 100 ms to T+300.
  insertRun(db, { id: 'own-1', batch_id: 'own', instance_id: 'acme__thing-1', session_id: FIXTURE_SESSION, started_at: T, duration_ms: 61_000, sample_source: 'cgroup-v2' });
  const samples = Array.from({ length: 601 }, (_, k) => ({
    t_ms: T + 100 * k,
    memory_current_bytes: (k === 3 ? 500 : k === 4 ? 250 : 200) * MB,
    cpu_usage_usec: k < 3 ? 10_000 * k : 100_000 + 10_000 * (k - 3),
  }));
  insertSamples(db, 'own-1', samples);
  // Two more runs of one instance (no samples: not valid tasks), for the repeat ratio.
  insertRun(db, { id: 'own-2', batch_id: 'own', instance_id: 'acme__other-2', started_at: T + 100_000, duration_ms: 100_000 });
  insertRun(db, { id: 'own-3', batch_id: 'own', instance_id: 'acme__other-2', started_at: T + 200_000, duration_ms: 250_000 });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const measures = (filter: RunFilter, allRuns = false) => characterizeRuns(db, filter, { allRuns }).measures;

describe('characterize, on one imported attempt (set_a owner__repo-1: 16 samples 1 s apart, 51 s gap after the 10th)', () => {
  // Measured samples (the two trailing "0B" readings left out), s after T0, MB, CPU %:
  //   0 11.7 96 (start-up) · 1 186 40 · 2 185.5 20 · 3 190 10 · 4 450 80 · 5 1200 120 · 6 200 10 · 7 201 5 · 8 205 5
  //   9 350 50 · 60 210 5 · 61 212 5 · 62 215 5 · 63 220 5
  // Tool calls (s after T0): Read 0.2–0.8 · Bash pytest 3.5–5.5 · Bash git diff 6.2–6.7 · Bash ls 6.8–6.85
  //   · Bash pip install 8.5–9.5 · Edit 10–10.2. Trace lines from T0−2 to T0+62.5; claude_time 90 s.
  let m: ReturnType<typeof measures>;
  beforeAll(() => {
    m = measures({ runId: 'set_a:owner__repo-1:1' });
  });

  it('counts the task as valid and says how it was sampled', () => {
    expect(m).toMatchObject({ runs_selected: 1, tasks: 1, valid_tasks: 1, sample_interval_ms: 1000, sample_sources: { 'podman-stats': 1 }, sampling_note: 'samples podman-stats every 1000 ms' });
  });

  it('tool time: 4.35 s of calls over a 64.5 s active time, and per tool', () => {
    expect(m.tool_time_ratio_median_pct).toBeCloseTo((100 * 4.35) / 64.5, 9);
    expect(m.tool_time_ratio_mean_pct).toBeCloseTo(6.744186, 5);
    const share = m.tool_time_share_pct as Record<string, number>;
    expect(Object.keys(share)).toEqual(['Bash', 'Read', 'Edit']);
    expect(share.Bash).toBeCloseTo((100 * 3.55) / 4.35, 9);
    expect(share.Read).toBeCloseTo((100 * 0.6) / 4.35, 9);
    expect(m.tool_calls_n).toEqual({ Bash: 4, Edit: 1, Read: 1 });
    expect((m.tool_call_mean_s as Record<string, number>).Bash).toBeCloseTo(3.55 / 4, 9);
    const bash = m.bash_time_share_pct as Record<string, number>;
    expect(Object.keys(bash)).toEqual(['test_execution', 'package_install', 'git_operations', 'file_exploration']);
    expect(bash.test_execution).toBeCloseTo((100 * 2) / 3.55, 9);
    expect(bash.package_install).toBeCloseTo((100 * 1) / 3.55, 9);
    expect((m.bash_time_share_by_family_pct as Record<string, number>).search).toBeCloseTo((100 * 0.05) / 3.55, 9);
  });

  it('framework baseline: the first 10% (one sample) of the 13 after the start-up reading', () => {
    expect(m.framework_baseline_mb).toBeCloseTo(186, 9);
    expect(m.framework_baseline_median_mb).toBeCloseTo(186, 9);
  });

  it('bursts: 3 of 14 samples fall in tool calls; all 3 memory bursts and 3 of 5 CPU bursts do', () => {
    expect(m.tool_sample_share_pct).toBeCloseTo((100 * 3) / 14, 9);
    expect(m.mem_burst_in_tool_pct).toBeCloseTo(100, 9); // 450, 1200, 350 MB: at 4, 5 (pytest) and 9 s (pip)
    expect(m.cpu_burst_in_tool_pct).toBeCloseTo(60, 9); // above 30%: 0, 1 (between calls), 4, 5, 9 s
  });

  it('spikes: pytest 1200 − 190 MB, pip install 350 − 205 MB; git diff has no sample inside, ls is under 100 ms', () => {
    expect(m.p95_mem_spike_mb).toEqual({ test_execution: 1010, package_install: 145 });
    expect(m.mean_mem_spike_mb).toEqual({ test_execution: 1010, package_install: 145 });
    expect(m.mem_spike_calls_n).toEqual({ test_execution: 1, package_install: 1 });
    expect(m.p95_mem_spike_by_family_mb).toEqual({ test: 1010, install: 145 });
  });

  it('over-provisioning, peaks, changes', () => {
    // memory: 4036.2 MB over 14 samples = 288.3 MB on average, peak 1200; CPU: 456 / 14 = 32.571 %, peak 120
    expect(m.mem_overprovisioning_x).toBeCloseTo(1200 / (4036.2 / 14), 9);
    expect(m.cpu_overprovisioning_x).toBeCloseTo(120 / (456 / 14), 9);
    expect(m.cpu_static_waste_pct).toBeCloseTo(100 * (1 - 456 / 14 / 120), 9);
    expect(m.peak_to_avg_mem_x_max).toBeCloseTo(1200 / (4036.2 / 14), 9);
    expect(m.peak_to_avg_mem_run).toBe('set_a:owner__repo-1:1');
    expect(m.peak_mem_cv_pct).toBeNull(); // one task: no spread
    expect(m.max_mem_change_one_sample_mb).toBeCloseTo(1000, 9); // 1200 → 200 MB
    expect(m.max_mem_change_1s_mb).toBeCloseTo(1000, 9); // samples are 1 s apart: the same steps
    // changes over 100 MB in 6 of the 13 steps: 174.3, 260, 750, 1000, 145, 140
    expect(m.mem_change_over_100mb_1s_pct).toBeCloseTo((100 * 6) / 13, 9);
    // events (CPU > 20 %/s or memory > 50 MB/s) in 5 of the 12 steps without the 51 s gap: 0→1, 3→4, 4→5, 5→6, 8→9 s
    expect(m.change_events_1s_pct).toBeCloseTo((100 * 5) / 12, 9);
  });

  it('retry loops: four Bash calls in a row (3.55 s of a 90 s run); correlation; CPU; run time', () => {
    expect(m).toMatchObject({ retry_task_pct: 100, retry_groups_per_task_avg: 1, retry_max_consecutive: 4 });
    expect(m.retry_time_pct).toBeCloseTo((100 * 3.55) / 90, 9);
    expect(m.cpu_mem_correlation_avg).toBeCloseTo(0.6218083832626355, 9); // numpy.corrcoef of the 14 pairs
    expect(m.avg_cpu_pct).toBeCloseTo(456 / 14, 9);
    expect(m.exec_time_mean_min).toBeCloseTo(1.5, 9);
    expect(m.exec_time_median_min).toBeCloseTo(1.5, 9);
  });
});

describe('characterize, over a data set', () => {
  it('counts each instance with its last attempt, valid when it has >= 10 samples over >= 60 s', () => {
    // owner__repo-1 (valid), owner__repo-2 (attempt 2: 12 samples over 66 s), owner__repo-3 (no samples), owner__repo-4 (valid)
    const m = measures({ batchId: 'set_a' });
    expect(m).toMatchObject({ runs_selected: 5, tasks: 4, valid_tasks: 3 });
    // owner__repo-2 has no trace: its active time is its run time, 8 s of calls in 70 s; owner__repo-4 made no call
    expect(m.tool_time_ratio_median_pct).toBeCloseTo((100 * 4.35) / 64.5, 9);
    expect(m.tool_time_ratio_mean_pct).toBeCloseTo(((100 * 4.35) / 64.5 + (100 * 8) / 70 + 0) / 3, 9);
    // retry loops in owner__repo-1 (4 Bash) and owner__repo-2 (3 Bash, then Read), not in owner__repo-4
    expect(m.retry_task_pct).toBeCloseTo((100 * 2) / 3, 9);
    expect(m.retry_max_consecutive).toBe(4);
    expect(m.retry_time_pct).toBeCloseTo(((100 * 3.55) / 90 + (100 * 7) / 70) / 2, 9);
    // peaks 1200, 211 and 311 MB: mean 574, sample stdev 544.43
    expect(m.peak_mem_cv_pct).toBeCloseTo(94.84890806625913, 9);
    expect(m).toMatchObject({ peak_mem_min_mb: 211, peak_mem_max_mb: 1200 });
  });

  it('--all-runs counts every run, the failed start too (not valid: no samples)', () => {
    expect(measures({ batchId: 'set_a' }, true)).toMatchObject({ runs_selected: 5, tasks: 4, valid_tasks: 3 });
    const b = characterizeRuns(db, { batchId: 'set_a' }, { allRuns: true });
    expect(b.facts.map((f) => [f.runId, f.valid])).toContainEqual(['set_a:owner__repo-2:1', false]);
  });
});

describe('characterize, on an agentpod run sampled every 100 ms', () => {
  let m: ReturnType<typeof measures>;
  beforeAll(() => {
    m = measures({ runId: 'own-1' });
  });

  it('reads memory_current_bytes, CPU from the cumulative counter, and windows from the ingested trace', () => {
    expect(m).toMatchObject({ valid_tasks: 1, sample_interval_ms: 100, sample_sources: { 'cgroup-v2': 1 }, sampling_note: 'samples cgroup-v2 every 100 ms' });
    // 62 + 11 + 19 + 60 + 27 = 179 ms of calls (the subagent's included) over the trace's 364 ms
    expect(m.tool_time_ratio_median_pct).toBeCloseTo((100 * 179) / 364, 9);
    expect((m.tool_time_share_pct as Record<string, number>).Bash).toBeCloseTo((100 * 108) / 179, 9);
    expect(m.tool_sample_share_pct).toBeCloseTo(100 / 601, 9); // only T+300 is inside a call
    expect(m.mem_burst_in_tool_pct).toBe(100);
    expect(m.cpu_burst_in_tool_pct).toBe(100); // the one CPU burst: 80 ms of CPU in the 100 ms to T+300 = 80%
    expect(m.avg_cpu_pct).toBeCloseTo((599 * 10 + 80) / 600, 9); // the first sample has no rate
    expect(m.cpu_overprovisioning_x).toBeCloseTo(80 / ((599 * 10 + 80) / 600), 9);
    expect(m.framework_baseline_mb).toBeCloseTo((58 * 200 + 500 + 250) / 60, 9); // 60 samples after the first
    expect(m.mem_overprovisioning_x).toBeCloseTo(500 / ((599 * 200 + 750) / 601), 9);
    expect(m.cpu_mem_correlation_avg).toBeCloseTo(0.986386540266561, 9); // numpy.corrcoef
  });

  it('states what one sample means: a 300 MB change within 100 ms that 1 s steps do not see', () => {
    expect(m.max_mem_change_one_sample_mb).toBeCloseTo(300, 9);
    expect(m.max_mem_change_1s_mb).toBe(0); // T, T+1 s, T+2 s, ... all read 200 MB
    expect(m.mem_change_over_100mb_1s_pct).toBe(0);
    // every call is shorter than 100 ms: no spike is measured
    expect(m.p95_mem_spike_mb).toEqual({});
    // Bash, Read, Bash, Bash (subagent), Agent in completion order: at most two Bash calls in a row
    expect(m).toMatchObject({ retry_task_pct: 0, retry_max_consecutive: 2, retry_time_pct: null });
  });

  it('compares repeats of one instance: 250 s / 100 s', () => {
    expect(measures({ batchId: 'own' })).toMatchObject({ runs_selected: 3, tasks: 2, valid_tasks: 1, exec_time_repeat_max_over_min_x: 2.5, exec_time_repeat_task: 'own/acme__other-2' });
  });

  it('says so when sampling intervals are mixed', () => {
    // podman-stats: the median of its runs' intervals (1000, 6000, 6000 and 1090 ms in the fixtures)
    expect(measures({}).sampling_note).toBe('MIXED sampling intervals (podman-stats every 1090 ms, cgroup-v2 every 100 ms): the interval-dependent measures mix them; select runs of one interval to compare');
  });
});

describe('the query', () => {
  it('is one object with --json, one row per value otherwise, each measure explained', () => {
    const query = findQuery('characterize');
    const doc = query.document!(db, { runId: 'set_a:owner__repo-1:1' }, { explain: true }) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([...MEASURES.map((x) => x.key), 'explain']);
    expect(Object.keys(doc.explain as object)).toEqual(MEASURES.map((x) => x.key));
    const rows = query.run(db, { runId: 'set_a:owner__repo-1:1' }, {});
    expect(rows.filter((r) => r.measure === 'tool_calls_n')).toEqual([
      { measure: 'tool_calls_n', of: 'Bash', value: 4, about: null },
      { measure: 'tool_calls_n', of: 'Edit', value: 1, about: null },
      { measure: 'tool_calls_n', of: 'Read', value: 1, about: null },
    ]);
    expect(characterizeRows({ p95_mem_spike_mb: {} })).toContainEqual({ measure: 'p95_mem_spike_mb', of: null, value: null, about: null });
    expect(query.columnsFor!({}).map((c) => c.key)).toEqual(['measure', 'of', 'value']);
    expect(query.columnsFor!({ explain: true }).map((c) => c.key)).toEqual(['measure', 'of', 'value', 'about']);
  });
});

describe('the per-run calculators', () => {
  const w = (tool: string, startMs: number, endMs: number) => ({ tool, command: null, startMs, endMs, seq: null });

  it('Pearson r, and null when a series does not vary', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
  });

  it('retry loops follow completion order, not start order', () => {
    // by start: Bash, Read, Bash, Bash; Read finishes last, so in completion order the three Bash calls are adjacent
    expect(retryRuns([w('Bash', 0, 10), w('Read', 1, 100), w('Bash', 20, 30), w('Bash', 40, 50)])).toEqual({ groups: 1, longest: 3, ms: 30 });
    expect(retryRuns([w('Bash', 0, 10), w('Bash', 20, 30), w('Read', 31, 32), w('Bash', 40, 50)])).toEqual({ groups: 0, longest: 2, ms: 0 });
  });

  it('thins samples to 1 s steps and interpolates a trajectory', () => {
    const s = [0, 400, 1000, 1500, 2100, 2900, 3100].map((tMs) => ({ tMs }));
    expect(stepSamples(s, 1000).map((x) => x.tMs)).toEqual([0, 1000, 2100, 3100]);
    expect(trajectory([{ tMs: 0, mb: 100 }, { tMs: 10, mb: 200 }, { tMs: 30, mb: 0 }], 4)).toEqual([100, 200, 100, 0]);
    expect(trajectory([{ tMs: 0, mb: 1 }], 4)).toBeNull();
  });

  it('change events skip gaps over 2 s', () => {
    const at = (tMs: number, memory: number, cpuPercent: number) => ({ tMs, memory, cpuPercent, flag: null });
    expect(changeEvents([at(0, 0, 0), at(1000, 60e6, 0), at(4000, 0, 0), at(5000, 0, 25)])).toEqual({ steps: 2, events: 2 });
  });

  it('the report band: median and quartiles (nearest rank) at each point of progress', () => {
    expect(progressBand([[1, 10], [2, 20], [3, 30], [4, 40]])).toEqual({ xs: [0, 1], median: [2, 20], low: [1, 10], high: [3, 30] });
  });
});

describe('report --batch --characterize', () => {
  it('draws the study\'s pictures as inline SVG, self-contained', () => {
    const html = renderBatchReport(loadBatchReport(db, 'set_a', { characterize: true }));
    for (const chart of ['bar-chart', 'band-chart', 'share-chart', 'box-plot']) expect(html).toContain(`class="chart ${chart}"`);
    expect(html).toContain('Tool-time share of active time, per task (3 tasks, sorted)');
    expect(html).toContain('data-row="memory &gt; 300 MB"');
    expect(html).toContain('data-group="test_execution"');
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    expect(renderBatchReport(loadBatchReport(db, 'set_a'))).not.toContain('band-chart');
  });
});

describe('docs/characterization.md', () => {
  it('defines every measure the query gives', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'characterization.md'), 'utf8');
    const missing = MEASURES.map((m) => m.key).filter((key) => !doc.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });
});
