// The built-in queries on a database with known answers: the real fixture trace (traces/fixtures/cli) ingested,
// runs and samples inserted by hand. Fixture tool calls (ms after T):
//   Bash  `ls -1 && echo …`  268–330 (62 ms)          Read      348–359 (11 ms)
//   Bash  `cat does-not…`    376–395 (19 ms, error)   Agent     412–472 (60 ms)
//   Bash  `ls -1 | wc -l`    431–458 (27 ms, in the subagent)
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findQuery, QUERIES } from '../../src/analysis/index.js';
import type { RunFilter } from '../../src/analysis/filter.js';
import { cpuUsecAt, measureWindow } from '../../src/analysis/tool-resources.js';
import type { Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { analysisDb, FIXTURE_SESSION, ingestFixtureTrace, insertBatch, insertRun, insertSamples, MB } from '../helpers/analysis-db.js';
import { repoRoot } from '../helpers/user.js';

const T = 1795356487000; // the fixture trace starts at T + 120
const run = (db: Db, name: string, filter: RunFilter = {}) => findQuery(name).run(db, filter);

// Samples of run r1 (ms after T, memory.current, cumulative cpu usage in usec).
const R1_SAMPLES: [number, number, number][] = [
  [200, 50, 0],
  [250, 80, 10_000],
  [280, 100, 20_000],
  [320, 300, 60_000],
  [340, 120, 70_000],
  [370, 200, 80_000],
  [400, 180, 90_000],
  [420, 260, 100_000],
  [440, 400, 130_000],
  [460, 350, 150_000],
  [500, 100, 160_000],
];

let db: Db;
let dir: string;
beforeAll(async () => {
  ({ db, dir } = analysisDb());
  await ingestFixtureTrace(db);
  await ingestPaths(db, [join(repoRoot, 'traces', 'fixtures', 'edge', 'synthetic-error.jsonl')]); // a session of synthetic responses only
  insertBatch(db, 'b1');
  insertBatch(db, 'b2');
  const common = { batch_id: 'b1', memory_limit_bytes: 512 * MB, cpus: 1.5, limits_enforced: 1, source_image: 'localhost/i' };
  insertRun(db, { id: 'r1', ...common, session_id: FIXTURE_SESSION, profile: 'small', status: 'ok', started_at: T, finished_at: T + 600, duration_ms: 600, peak_memory_bytes: 400 * MB, cpu_seconds: 0.16, throttled_usec: 5000, patch_bytes: 1200, num_turns: 5, oom_killed: 0, oom_kill_events: 0, eval_status: 'resolved', resolution: 'FULL' });
  insertRun(db, { id: 'r2', ...common, profile: 'small', status: 'oom', started_at: T + 1000, duration_ms: 300, peak_memory_bytes: 512 * MB, throttled_usec: 0, patch_bytes: 0, oom_killed: 1, eval_status: 'empty_patch' });
  insertRun(db, { id: 'r3', ...common, profile: 'large', status: 'ok', started_at: T + 2000, duration_ms: 1000, peak_memory_bytes: 700 * MB, patch_bytes: 800, eval_status: 'resolved', resolution: 'FULL' });
  insertRun(db, { id: 'r4', ...common, profile: 'large', status: 'timeout', started_at: T + 3000, duration_ms: 2000, peak_memory_bytes: 900 * MB, throttled_usec: 2_000_000, eval_status: 'unresolved', resolution: 'PARTIAL' });
  insertRun(db, { id: 'r5', ...common, profile: 'large', status: 'running', started_at: T + 4000 });
  insertRun(db, { id: 'r6', profile: 'small', batch_id: 'b2', status: 'failed', started_at: T + 5000, duration_ms: 50, source_image: 'localhost/i' });
  insertSamples(db, 'r1', R1_SAMPLES.map(([t, mem, cpu]) => ({ t_ms: T + t, memory_current_bytes: mem * MB, cpu_usage_usec: cpu })));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tool-resources', () => {
  it('measures each tool call of the run, subagent included, inside its window or from the bracketing samples', () => {
    const rows = run(db, 'tool-resources', { runId: 'r1' });
    const pick = rows.map((r) => ({ tool: r.tool, window: r.window, samples: r.samples, peak: r.peak_memory_bytes, before: r.memory_before_bytes, delta: r.memory_delta_bytes }));
    expect(pick).toEqual([
      // 268–330 holds 280 (100 MB) and 320 (300 MB) → peak 300 MB; last sample before: 250 (80 MB) → +220 MB
      { tool: 'Bash', window: 'inside', samples: 2, peak: 300 * MB, before: 80 * MB, delta: 220 * MB },
      // 348–359 holds no sample: 340 (120 MB) and 370 (200 MB) bracket it → peak 200 MB, +80 MB
      { tool: 'Read', window: 'bracketing', samples: 0, peak: 200 * MB, before: 120 * MB, delta: 80 * MB },
      // 376–395: bracketed by 370 (200 MB) and 400 (180 MB) → peak 200 MB, +0
      { tool: 'Bash', window: 'bracketing', samples: 0, peak: 200 * MB, before: 200 * MB, delta: 0 },
      // 412–472 holds 420, 440, 460 → peak 400 MB; before: 400 (180 MB) → +220 MB
      { tool: 'Agent', window: 'inside', samples: 3, peak: 400 * MB, before: 180 * MB, delta: 220 * MB },
      // the subagent's 431–458 holds 440 (400 MB); before: 420 (260 MB) → +140 MB
      { tool: 'Bash', window: 'inside', samples: 1, peak: 400 * MB, before: 260 * MB, delta: 140 * MB },
    ]);
    expect(rows.map((r) => r.agent_id)).toEqual([null, null, null, null, 'a60a8379d162e6612']);
    expect(rows.map((r) => r.family)).toEqual(['search', null, 'other', null, 'search']);
    expect(rows[0].detail).toBe('ls -1 && echo ünïcödé-✓');
  });

  it('takes CPU from the cumulative counter interpolated at the window edges', () => {
    const cpu = run(db, 'tool-resources', { runId: 'r1' }).map((r) => [r.cpu_seconds, r.avg_cores] as number[]);
    // Bash 268–330: c(268) = 10,000 + 10,000·18/30 = 16,000; c(330) = 60,000 + 10,000·10/20 = 65,000 → 49 ms of CPU over 62 ms
    expect(cpu[0][0]).toBeCloseTo(0.049, 9);
    expect(cpu[0][1]).toBeCloseTo(0.049 / 0.062, 9);
    // Read 348–359 between 340 and 370 (10,000 usec in 30 ms = 1/3 core) → 11 ms / 3
    expect(cpu[1][0]).toBeCloseTo(0.011 / 3, 9);
    expect(cpu[1][1]).toBeCloseTo(1 / 3, 9);
    // Agent 412–472: c(412) = 90,000 + 10,000·12/20 = 96,000; c(472) = 150,000 + 10,000·12/40 = 153,000 → 57 ms over 60 ms
    expect(cpu[3][0]).toBeCloseTo(0.057, 9);
    expect(cpu[3][1]).toBeCloseTo(0.95, 9);
    // subagent Bash 431–458: c(431) = 100,000 + 30,000·11/20 = 116,500; c(458) = 130,000 + 20,000·18/20 = 148,000
    expect(cpu[4][0]).toBeCloseTo(0.0315, 9);
  });

  it('aggregates per tool and Bash family (p50/p95/max, nearest rank)', () => {
    const rows = run(db, 'tool-resources-summary', { runId: 'r1' });
    expect(rows.map((r) => [r.tool, r.family, r.calls, r.measured, r.bracketed])).toEqual([
      ['Bash', null, 3, 3, 1],
      ['Bash', 'search', 2, 2, 0],
      ['Bash', 'other', 1, 1, 1],
      ['Agent', null, 1, 1, 0],
      ['Read', null, 1, 1, 1],
    ]);
    // Bash peaks 300, 200, 400 MB → sorted 200, 300, 400: p50 = 2nd, p95 = 3rd; deltas 220, 0, 140 → 140, 220, 220
    expect(rows[0]).toMatchObject({ peak_memory_p50: 300 * MB, peak_memory_p95: 400 * MB, peak_memory_max: 400 * MB, memory_delta_p50: 140 * MB, memory_delta_max: 220 * MB });
  });

  it('has no figures for a window outside the sampled span, and lists nothing for a run without a trace', () => {
    const at = (t: number, memory: number, cpuUsec: number) => ({ t, memory, cpuUsec });
    const none = { inside: 0, insidePeak: null, before: null, fromStart: null, toEnd: null, after: null };
    // after the last sample (500): nothing after the window
    expect(measureWindow({ ...none, before: at(500, 100, 160_000), toEnd: at(500, 100, 160_000) }, 600, 700)).toMatchObject({ coverage: 'none', peakMemoryBytes: null, cpuSeconds: null });
    // before the first sample (200), one sample inside: no memory before it, CPU counted from the first sample on
    const early = measureWindow({ ...none, inside: 1, insidePeak: 50, fromStart: at(200, 50, 0), toEnd: at(200, 50, 0), after: at(250, 80, 10_000) }, 150, 210);
    expect(early).toMatchObject({ coverage: 'inside', samples: 1, peakMemoryBytes: 50, memoryBeforeBytes: null, memoryDeltaBytes: null });
    expect(early.cpuSeconds).toBeCloseTo(0.002, 9); // c(150) = 0 (clamped), c(210) = 0 + 10,000·10/50
    // a zero-length window on a sample: measured, no average
    expect(measureWindow({ ...none, inside: 1, insidePeak: 80, before: at(200, 50, 0), fromStart: at(250, 80, 10_000), toEnd: at(250, 80, 10_000), after: at(280, 100, 20_000) }, 250, 250)).toMatchObject({ coverage: 'inside', cpuSeconds: 0, avgCores: null });
    expect(cpuUsecAt(null, at(200, 0, 5), 100)).toBe(5);
    expect(cpuUsecAt(at(500, 0, 7), null, 900)).toBe(7);
    expect(cpuUsecAt(at(0, 0, 0), at(100, 0, 1000), 25)).toBe(250);
    expect(run(db, 'tool-resources', { runId: 'r2' })).toEqual([]);
  });
});

describe('tools', () => {
  it('counts calls, durations (total, p50, p95) and the error rate per tool and Bash family', () => {
    const rows = run(db, 'tools', { runId: 'r1' });
    expect(rows).toEqual([
      // Bash durations 62, 19, 27 → sorted 19, 27, 62: p50 = 27, p95 = 62; one error in 3
      { tool: 'Bash', family: null, calls: 3, unfinished: 0, error_rate: 1 / 3, total_ms: 108, p50_ms: 27, p95_ms: 62, max_ms: 62 },
      { tool: 'Bash', family: 'search', calls: 2, unfinished: 0, error_rate: 0, total_ms: 89, p50_ms: 27, p95_ms: 62, max_ms: 62 },
      { tool: 'Bash', family: 'other', calls: 1, unfinished: 0, error_rate: 1, total_ms: 19, p50_ms: 19, p95_ms: 19, max_ms: 19 },
      { tool: 'Agent', family: null, calls: 1, unfinished: 0, error_rate: 0, total_ms: 60, p50_ms: 60, p95_ms: 60, max_ms: 60 },
      { tool: 'Read', family: null, calls: 1, unfinished: 0, error_rate: 0, total_ms: 11, p50_ms: 11, p95_ms: 11, max_ms: 11 },
    ]);
  });

  it('selects sessions by run, batch or start date', () => {
    expect(run(db, 'tools', { batchId: 'b2' })).toEqual([]);
    expect(run(db, 'tools', { sinceMs: T + 1e9 })).toEqual([]);
    expect(run(db, 'tools', { sinceMs: T }).reduce((n, r) => n + (r.family === null ? Number(r.calls) : 0), 0)).toBe(5);
  });
});

describe('runs', () => {
  it('has one line per run with the trace\'s tokens and tool calls (NULL without a trace)', () => {
    const rows = run(db, 'runs', { batchId: 'b1' });
    expect(rows.map((r) => r.run_id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    // input: 18992 + 19120 + 19194 + 19288 + 19460 (main) + 11288 + 11759 (subagent); output: 84+34+39+70+29+35+12
    expect(rows[0]).toMatchObject({ status: 'ok', profile: 'small', peak_memory_bytes: 400 * MB, oom: 0, input_tokens: 119_101, output_tokens: 303, cache_read_input_tokens: 0, turns: 5, tool_calls: 5, patch_bytes: 1200 });
    expect(rows[1]).toMatchObject({ status: 'oom', oom: 1, input_tokens: null, tool_calls: null });
    expect(rows[2].oom).toBeNull(); // neither podman nor the kernel said
    expect(run(db, 'runs', { runId: 'r6' })).toHaveLength(1);
  });
});

describe('profiles', () => {
  it('compares profiles over a batch; running trials are left out', () => {
    expect(run(db, 'profiles', { batchId: 'b1' })).toEqual([
      // small: r1 ok (patch, 600 ms, 400 MB, 5 ms throttled), r2 oom (no patch, 300 ms, 512 MB, 0)
      { profile: 'small', trials: 2, ok_rate: 0.5, patch_rate: 0.5, resolve_rate: 0.5, oom_rate: 0.5, timeout_rate: 0, median_duration_ms: 300, peak_memory_p50: 400 * MB, peak_memory_p95: 512 * MB, peak_memory_max: 512 * MB, median_throttled_ms: 0, max_throttled_ms: 5 },
      // large: r3 ok (patch, 1000 ms, 700 MB), r4 timeout (2000 ms, 900 MB, 2 s throttled); r5 still running
      { profile: 'large', trials: 2, ok_rate: 0.5, patch_rate: 0.5, resolve_rate: 0.5, oom_rate: 0, timeout_rate: 0.5, median_duration_ms: 1000, peak_memory_p50: 700 * MB, peak_memory_p95: 900 * MB, peak_memory_max: 900 * MB, median_throttled_ms: 2000, max_throttled_ms: 2000 },
    ]);
  });
});

describe('resolved', () => {
  it('counts each profile\'s latest verdicts with a 95 % Wilson interval; ungraded trials are counted, not rated', () => {
    const rows = run(db, 'resolved', { batchId: 'b1' });
    // Wilson 95 % for 1 of 2: 0.0945 … 0.9055.
    const interval = { ci95_low: expect.closeTo(0.0945, 3), ci95_high: expect.closeTo(0.9055, 3) };
    expect(rows).toEqual([
      { profile: 'small', trials: 2, graded: 2, resolved: 1, resolve_rate: 0.5, ...interval, unresolved: 0, empty_patch: 1, patch_failed: 0, log_invalid: 0, timeout: 0, error: 0, ungraded: 0 },
      // r5 still runs: not a trial yet.
      { profile: 'large', trials: 2, graded: 2, resolved: 1, resolve_rate: 0.5, ...interval, unresolved: 1, empty_patch: 0, patch_failed: 0, log_invalid: 0, timeout: 0, error: 0, ungraded: 0 },
    ]);
    expect(run(db, 'resolved', { batchId: 'b2' })).toEqual([
      { profile: 'small', trials: 1, graded: 0, resolved: 0, resolve_rate: null, ci95_low: null, ci95_high: null, unresolved: 0, empty_patch: 0, patch_failed: 0, log_invalid: 0, timeout: 0, error: 0, ungraded: 1 },
    ]);
  });
});

describe('tokens', () => {
  it('counts each API response once per session and model, synthetic ones left out', () => {
    // The fixture repeats a response over several lines (one per content block); the synthetic-only session has no row.
    expect(run(db, 'tokens')).toEqual([
      { session_id: FIXTURE_SESSION, run_id: 'r1', model: 'claude-opus-4-8', responses: 7, subagent_responses: 2, input_tokens: 119_101, output_tokens: 303, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    ]);
    expect(run(db, 'tokens', { runId: 'r2' })).toEqual([]);
  });
});

describe('the query list', () => {
  it('names every query with its question and columns, each query returns exactly its columns, docs/queries.md documents them', () => {
    for (const q of QUERIES) {
      expect(q.question).toMatch(/\?$/);
      for (const row of q.run(db, { batchId: 'b1' })) expect(Object.keys(row)).toEqual(q.columns.map((c) => c.key));
    }
    const docs = readFileSync(join(repoRoot, 'docs', 'queries.md'), 'utf8');
    for (const q of QUERIES) {
      expect(docs).toContain(`### \`${q.name}\``);
      for (const c of q.columns) expect(docs, `${q.name}.${c.key}`).toContain(`| \`${c.key}\` |`);
    }
    expect(() => findQuery('nope')).toThrow(/unknown query "nope"; the queries are: runs, tools, tool-resources/);
  });
});
