// The AgentCgroup importer on fixtures in the published formats (tests/fixtures/agentcgroup):
//   set_a (clock UTC-8): owner__repo-1 complete; owner__repo-2 a failed start, then an attempt without a trace
//   (windows from tool_calls.json); owner__repo-3 a malformed resources.json and a broken trace line;
//   owner__repo-4 a summary its samples do not reproduce. set_b (UTC clock): a labelled task folder
//   (instance from the image), Claude Code 2.1, the old tool_calls.json format.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open.js';
import { importAgentcgroup, type ImportSummary } from '../../src/importers/agentcgroup/index.js';
import { formatClosingLine } from '../../src/importers/agentcgroup/progress.js';
import { analysisDb, insertBatch } from '../helpers/analysis-db.js';
import { repoRoot } from '../helpers/user.js';

export const FIXTURES = join(repoRoot, 'tests', 'fixtures', 'agentcgroup');
const SET_A = join(FIXTURES, 'set_a');
const SET_B = join(FIXTURES, 'set_b');
const T0 = 1770000000000; // 2026-02-02T02:40:00Z, the first sample of owner__repo-1

let db: Db;
let dir: string;
let first: ImportSummary;
beforeAll(async () => {
  ({ db, dir } = analysisDb());
  first = await importAgentcgroup(db, [SET_A, SET_B], { now: () => 1 });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Record<string, unknown>[];
const one = (sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as Record<string, unknown>;

function tableCounts(): Record<string, unknown> {
  const tables = ['runs', 'batches', 'imported_runs', 'samples', 'imported_tool_calls', 'messages', 'ingest_files', 'tool_uses', 'ingest_errors'];
  return Object.fromEntries(tables.map((t) => [t, one(`SELECT COUNT(*) AS n FROM ${t}`).n]));
}

describe('import agentcgroup', () => {
  it('makes one batch per data set folder and one run per attempt', () => {
    expect(all('SELECT id, name, origin, status FROM batches ORDER BY id')).toEqual([
      { id: 'set_a', name: 'set_a', origin: 'agentcgroup', status: 'done' },
      { id: 'set_b', name: 'set_b', origin: 'agentcgroup', status: 'done' },
    ]);
    expect(all('SELECT id, batch_id, instance_id, trial_index, status, exit_code, origin FROM runs ORDER BY id')).toEqual([
      { id: 'set_a:owner__repo-1:1', batch_id: 'set_a', instance_id: 'owner__repo-1', trial_index: 1, status: 'ok', exit_code: 0, origin: 'agentcgroup' },
      { id: 'set_a:owner__repo-2:1', batch_id: 'set_a', instance_id: 'owner__repo-2', trial_index: 1, status: 'failed', exit_code: null, origin: 'agentcgroup' },
      { id: 'set_a:owner__repo-2:2', batch_id: 'set_a', instance_id: 'owner__repo-2', trial_index: 2, status: 'failed', exit_code: 1, origin: 'agentcgroup' },
      { id: 'set_a:owner__repo-3:1', batch_id: 'set_a', instance_id: 'owner__repo-3', trial_index: 1, status: 'ok', exit_code: 0, origin: 'agentcgroup' },
      { id: 'set_a:owner__repo-4:1', batch_id: 'set_a', instance_id: 'owner__repo-4', trial_index: 1, status: 'ok', exit_code: 0, origin: 'agentcgroup' },
      // a labelled folder: the instance comes from the image name
      { id: 'set_b:CLI_Tools_Easy:1', batch_id: 'set_b', instance_id: 'acme__widget-7', trial_index: 1, status: 'ok', exit_code: 0, origin: 'agentcgroup' },
    ]);
  });

  it('fills the launcher\'s columns honestly: no limits, the attempt folder, the real model, UTC times', () => {
    const r = one("SELECT * FROM runs WHERE id = 'set_a:owner__repo-1:1'");
    expect(r).toMatchObject({
      profile: 'unlimited', memory_limit_bytes: null, cpus: null, workdir: '/testbed', share_mode: 'host',
      run_dir: join(SET_A, 'owner__repo-1', 'attempt_1'), container_name: '', owner_pid: 0, owner_host: '',
      // the main conversation's model, not the subagent's (sonnet) nor results.json's label ("haiku")
      model: 'claude-3-5-haiku-20241022', session_id: '11111111-1111-4111-8111-111111111111',
      // results.json start_time 2026-02-01T18:39:20 at UTC-8, end_time 18:41:10; claude_time 90 s
      started_at: T0 - 40_000, finished_at: T0 + 70_000, duration_ms: 90_000,
      sample_source: 'podman-stats', sample_count: 16, sample_interval_ms: 1000, peak_memory_bytes: 1_200_000_000,
      prompt_bytes: Buffer.byteLength('Fix the issue in /testbed. Work on your own All'),
    });
    expect(one("SELECT * FROM imported_runs WHERE run_id = 'set_a:owner__repo-1:1'")).toMatchObject({
      data_set: 'set_a', task_dir: 'owner__repo-1', attempt: 1, model_label: 'haiku', utc_offset_min: -480,
      start_time_local: '2026-02-01T18:39:20', permission_fix_time_s: 20.25, claude_time_s: 90, pull_time_s: 1.5,
      total_time_s: 110, image_size_bytes: 3_500_000_000, testbed_mb: 18, tool_windows: 'trace', self_check: 'ok',
    });
    // set_b's clock is UTC: its naive start_time is UTC already
    expect(one("SELECT started_at, model FROM runs WHERE id = 'set_b:CLI_Tools_Easy:1'")).toEqual({ started_at: T0 + 4_990_000, model: 'claude-haiku-4-5-20251001' });
    expect(one("SELECT utc_offset_min FROM imported_runs WHERE run_id = 'set_b:CLI_Tools_Easy:1'")).toEqual({ utc_offset_min: 0 });
  });

  it('imports a failed start as a failed run without samples, its clock taken from the data set', () => {
    expect(one("SELECT status, error, duration_ms, sample_count, sample_source, session_id, started_at FROM runs WHERE id = 'set_a:owner__repo-2:1'")).toEqual({
      status: 'failed',
      error: 'Failed to start container: Error: creating container storage: creating an ID-mapped copy of layer "0123": exit status 1',
      duration_ms: null, sample_count: 0, sample_source: null, session_id: 'imported:set_a:owner__repo-2:1', started_at: T0 + 970_000,
    });
    expect(one("SELECT tool_windows, self_check, total_time_s FROM imported_runs WHERE run_id = 'set_a:owner__repo-2:1'")).toEqual({ tool_windows: 'none', self_check: null, total_time_s: 5 });
  });

  it('stores samples with times from epoch, decimal bytes, and the start-up and "0B" readings flagged', () => {
    const samples = all("SELECT t_ms, source, memory_current_bytes AS mem, cpu_percent, flag FROM samples WHERE run_id = 'set_a:owner__repo-1:1' ORDER BY t_ms");
    expect(samples).toHaveLength(16);
    expect(samples[0]).toEqual({ t_ms: T0, source: 'podman-stats', mem: 11_700_000, cpu_percent: 96, flag: 'startup' });
    expect(samples[5]).toEqual({ t_ms: T0 + 5000, source: 'podman-stats', mem: 1_200_000_000, cpu_percent: 120, flag: null });
    expect(samples.slice(14)).toEqual([
      { t_ms: T0 + 64_000, source: 'podman-stats', mem: 0, cpu_percent: 0, flag: 'gone' },
      { t_ms: T0 + 65_000, source: 'podman-stats', mem: 0, cpu_percent: 0, flag: 'gone' },
    ]);
    expect(all('SELECT flag, COUNT(*) AS n FROM samples GROUP BY flag ORDER BY flag')).toEqual([
      // 100 samples: the first of each of the four attempts with samples, the two trailing "0B" of owner__repo-1
      { flag: null, n: 94 },
      { flag: 'gone', n: 2 },
      { flag: 'startup', n: 4 },
    ]);
    // "950kB" is 950,000 bytes
    expect(one("SELECT memory_current_bytes AS mem FROM samples WHERE run_id = 'set_a:owner__repo-4:1' ORDER BY t_ms LIMIT 1")).toEqual({ mem: 950_000 });
  });

  it('ingests the traces like any trace and links them to their runs', () => {
    expect(all('SELECT session_id, run_id FROM sessions ORDER BY session_id').map((s) => s.run_id)).toEqual([
      'set_a:owner__repo-1:1', 'set_a:owner__repo-3:1', 'set_a:owner__repo-4:1', 'set_b:CLI_Tools_Easy:1',
    ]);
    // the run's tool windows come from the trace (the tool_calls.json beside it is not stored)
    expect(all("SELECT tool_name, start_ms, end_ms, window_source FROM run_tool_calls WHERE run_id = 'set_a:owner__repo-1:1' ORDER BY start_ms")).toEqual([
      { tool_name: 'Read', start_ms: T0 + 200, end_ms: T0 + 800, window_source: 'trace' },
      { tool_name: 'Bash', start_ms: T0 + 3500, end_ms: T0 + 5500, window_source: 'trace' },
      { tool_name: 'Bash', start_ms: T0 + 6200, end_ms: T0 + 6700, window_source: 'trace' },
      { tool_name: 'Bash', start_ms: T0 + 6800, end_ms: T0 + 6850, window_source: 'trace' },
      { tool_name: 'Bash', start_ms: T0 + 8500, end_ms: T0 + 9500, window_source: 'trace' },
      { tool_name: 'Edit', start_ms: T0 + 10_000, end_ms: T0 + 10_200, window_source: 'trace' },
    ]);
  });

  it('takes the tool windows from tool_calls.json where the trace is missing', () => {
    expect(all("SELECT seq, tool_name, command, start_ms, end_ms, window_source FROM run_tool_calls WHERE run_id = 'set_a:owner__repo-2:2' ORDER BY seq")).toEqual([
      { seq: 1, tool_name: 'Bash', command: 'python -m pytest', start_ms: T0 + 1_010_000, end_ms: T0 + 1_014_000, window_source: 'tool_calls.json' },
      { seq: 2, tool_name: 'Bash', command: 'python -m pytest -k a', start_ms: T0 + 1_020_000, end_ms: T0 + 1_022_000, window_source: 'tool_calls.json' },
      { seq: 3, tool_name: 'Bash', command: 'python -m pytest -k b', start_ms: T0 + 1_030_000, end_ms: T0 + 1_031_000, window_source: 'tool_calls.json' },
      { seq: 4, tool_name: 'Read', command: null, start_ms: T0 + 1_040_000, end_ms: T0 + 1_041_000, window_source: 'tool_calls.json' },
    ]);
    expect(one("SELECT tool_windows FROM imported_runs WHERE run_id = 'set_a:owner__repo-2:2'")).toEqual({ tool_windows: 'tool_calls.json' });
  });

  it('counts and names what was missing or malformed, and the self-check\'s mismatch', () => {
    expect(first).toMatchObject({
      attempts: 6, imported: 6, alreadyImported: 0, failedStarts: 1, samples: 100, tracesIngested: 4, windowsFromToolCalls: 1,
      missing: ['set_a/owner__repo-2/attempt_2/trace.jsonl'],
      skipped: [],
      selfCheck: { checked: 4, mismatches: ['set_a/owner__repo-4/attempt_1: memory_mb.max 999 published, 311 from the samples'] },
    });
    expect(first.malformed).toEqual([
      expect.stringMatching(/^set_a\/owner__repo-3\/attempt_1\/resources\.json: invalid JSON/),
      'set_a/owner__repo-3/attempt_1/trace.jsonl: 1 malformed line(s), kept in ingest_errors',
    ]);
    expect(one("SELECT self_check FROM imported_runs WHERE run_id = 'set_a:owner__repo-4:1'")).toEqual({ self_check: 'memory_mb.max 999 published, 311 from the samples' });
    // the malformed file's attempt is still a run (no samples), and the broken trace line is kept where ingest keeps them
    expect(one("SELECT sample_count FROM runs WHERE id = 'set_a:owner__repo-3:1'")).toEqual({ sample_count: 0 });
    expect(one('SELECT COUNT(*) AS n FROM ingest_errors')).toEqual({ n: 1 });
    const line = formatClosingLine(first);
    expect(line.split('\n')).toHaveLength(1);
    for (const name of [...first.missing, ...first.malformed, ...first.selfCheck.mismatches]) expect(line).toContain(name);
  });

  it('adds nothing when run again, under the same or another batch name', async () => {
    const before = tableCounts();
    const again = await importAgentcgroup(db, [SET_A, SET_B]);
    expect(again).toMatchObject({ attempts: 6, imported: 0, alreadyImported: 6, samples: 0, tracesIngested: 0, missing: [], malformed: [], skipped: [] });
    const renamed = await importAgentcgroup(db, [SET_A], { batch: 'other-name' });
    expect(renamed).toMatchObject({ imported: 0, alreadyImported: 5 });
    expect(tableCounts()).toEqual({ ...before, batches: 3 });
  });

  it('imports attempts added to a data set later, with the clock the set already showed', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'agentpod-ac-'));
    try {
      cpSync(join(SET_A, 'owner__repo-2', 'attempt_1'), join(copy, 'set_c', 'owner__repo-2', 'attempt_1'), { recursive: true });
      cpSync(join(SET_A, 'owner__repo-1', 'attempt_1'), join(copy, 'set_c', 'owner__repo-1', 'attempt_1'), { recursive: true });
      const firstPass = await importAgentcgroup(db, [join(copy, 'set_c', 'owner__repo-1', '..', '..', 'set_c')]);
      // owner__repo-1's trace session already belongs to the run imported from set_a: not linked twice
      expect(firstPass.notes).toEqual(['set_c/owner__repo-1/attempt_1: trace session 11111111-1111-4111-8111-111111111111 already belongs to run set_a:owner__repo-1:1; not linked']);
      cpSync(join(SET_A, 'owner__repo-2', 'attempt_1'), join(copy, 'set_c', 'owner__repo-2', 'attempt_9'), { recursive: true });
      const later = await importAgentcgroup(db, [join(copy, 'set_c')]);
      expect(later).toMatchObject({ imported: 1, alreadyImported: 2, skipped: [] });
      expect(one("SELECT started_at FROM runs WHERE id = 'set_c:owner__repo-2:9'")).toEqual({ started_at: T0 + 970_000 });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('refuses a batch of agentpod\'s own runs and folders that are not data sets', async () => {
    insertBatch(db, 'mine');
    await expect(importAgentcgroup(db, [SET_B], { batch: 'mine' })).rejects.toThrow(/batch mine already exists and holds agentpod's own runs/);
    await expect(importAgentcgroup(db, [join(SET_A, 'owner__repo-1', 'attempt_1')])).rejects.toThrow(/no <task>\/attempt_N folders under/);
    await expect(importAgentcgroup(db, [join(FIXTURES, 'nowhere')])).rejects.toThrow(/no such folder/);
    await expect(importAgentcgroup(db, [SET_A, SET_B], { batch: 'x' })).rejects.toThrow(/--batch names the batch of one data set folder/);
  });
});
