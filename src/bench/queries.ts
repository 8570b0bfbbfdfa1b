// Query benchmark: the p50 latency of each built-in query on a generated database shaped like a large batch
// (full: 1,000 runs × 1,000 trace messages and 10,000 samples = 1M messages, 10M samples; quick: 100 runs).
// Rows are generated inside SQLite (INSERT ... SELECT over recursive CTEs), not in JavaScript.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findQuery } from '../analysis/index.js';
import type { RunFilter } from '../analysis/filter.js';
import { storeRunFigures } from '../analysis/stored.js';
import { openDb, type Db } from '../db/open.js';
import type { Bench, BenchFigure } from './figures.js';
import { elapsedMs, median } from './stats.js';

const MESSAGES_PER_RUN = 1000;
const SAMPLES_PER_RUN = 10_000; // 100 ms apart: a 17-minute run
const TOOL_CALLS_PER_RUN = 200; // one every 5 s
const RESPONSES_PER_RUN = 250;
const PROFILES = 4;

/** `WITH RECURSIVE` counting 0..n-1 as `seq(n)`. */
const seq = (n: number) => `WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${n - 1})`;

export function generate(db: Db, runs: number): void {
  db.pragma('foreign_keys = OFF'); // every run_id is generated from the runs table itself
  db.transaction(() => {
    db.prepare(`INSERT INTO batches (id, name, status, created_at) VALUES ('bench', 'bench', 'done', 0)`).run();
    db.exec(`
      ${seq(runs)}
      INSERT INTO runs (id, status, started_at, finished_at, duration_ms, image, profile, memory_limit_bytes, cpus, workdir, share_mode,
                        session_id, container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host, batch_id,
                        peak_memory_bytes, cpu_seconds, throttled_usec, patch_bytes, num_turns)
      SELECT printf('run%05d', n), CASE n % 10 WHEN 0 THEN 'oom' WHEN 1 THEN 'timeout' ELSE 'ok' END,
             1.7e12 + n * 1100000, 1.7e12 + n * 1100000 + ${SAMPLES_PER_RUN * 100}, ${SAMPLES_PER_RUN * 100}, 'bench', 'p' || (n % ${PROFILES}),
             2147483648, 2, '/w', 'host', printf('s%05d', n), 'c' || n, '/tmp/r' || n, 1, 'x', 1, 'bench', 'bench',
             5e8 + (n * 7919 % 1000) * 1e6, 300 + n % 50, n * 1000, (n % 3) * 1000, 50
      FROM seq;
      INSERT INTO ingest_files (id, path, parser_version, updated_at_ms, file_session_id)
      SELECT rowid, '/bench/' || session_id || '.jsonl', 1, 0, session_id FROM runs;
      INSERT INTO session_facts (session_id, first_ms, last_ms, models)
      SELECT session_id, started_at, finished_at, 'claude-sonnet-4-5' FROM runs;
    `);
    db.exec(`
      ${seq(MESSAGES_PER_RUN)}
      INSERT INTO messages (file_id, line_no, byte_offset, session_id, uuid, type, timestamp_ms, raw, raw_deflated)
      SELECT r.rowid, n + 1, n * 900, r.session_id, r.session_id || '-' || n, CASE n % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
             r.started_at + n * 1000, zeroblob(64), 0
      FROM runs r, seq ORDER BY r.rowid, n;
    `);
    db.exec(`
      ${seq(RESPONSES_PER_RUN)}
      INSERT INTO responses (message_id, session_id, agent_id, model, input_tokens, output_tokens, cache_creation_input_tokens,
                             cache_read_input_tokens, is_synthetic, first_ms, last_ms, line_count, file_id, line_no)
      SELECT r.session_id || '-m' || n, r.session_id, CASE WHEN n % 10 = 0 THEN 'agent' END, CASE n % 5 WHEN 0 THEN 'claude-haiku-4-5' ELSE 'claude-sonnet-4-5' END,
             1000 + n, 100 + n % 50, 500, 20000 + n * 10, n = 7, r.started_at + n * 4000, r.started_at + n * 4000, 2, r.rowid, n * 4 + 2
      FROM runs r, seq;
    `);
    // Tool calls: Bash (half, a spread of command families), Read, Edit, Grep; durations 50 ms to 4 s.
    db.exec(`
      ${seq(TOOL_CALLS_PER_RUN)}
      INSERT INTO tool_uses (file_id, line_no, block_index, tool_use_id, session_id, message_id, name, input, command, timestamp_ms, canonical)
      SELECT r.rowid, n * 5 + 2, 0, r.session_id || '-t' || n, r.session_id, r.session_id || '-m' || n,
             CASE n % 4 WHEN 0 THEN 'Read' WHEN 1 THEN 'Edit' WHEN 2 THEN 'Bash' ELSE CASE n % 8 WHEN 3 THEN 'Bash' ELSE 'Grep' END END,
             '{}',
             CASE n % 6 WHEN 0 THEN 'cd /testbed && python -m pytest -x tests' WHEN 1 THEN 'git diff' WHEN 2 THEN 'grep -rn foo src'
                        WHEN 3 THEN 'pip install -e .' WHEN 4 THEN 'python -c "print(1)"' ELSE 'cat setup.py' END,
             r.started_at + n * 5000 + 200, 1
      FROM runs r, seq;
      INSERT INTO tool_results (file_id, line_no, block_index, tool_use_id, timestamp_ms, is_error, result_bytes, canonical)
      SELECT file_id, line_no + 1, 0, tool_use_id, timestamp_ms + 50 + (line_no * 37) % 4000, line_no % 13 = 0, 1000, 1 FROM tool_uses;
    `);
    db.exec(`
      ${seq(SAMPLES_PER_RUN)}
      INSERT INTO samples (run_id, t_ms, source, memory_current_bytes, memory_working_set_bytes, cpu_usage_usec, cpu_nr_throttled, memory_events_oom_kill)
      SELECT r.id, r.started_at + n * 100, 'cgroup-v2', 3e8 + (n * 7919 % 2000) * 1e5, 2.5e8 + (n * 7919 % 2000) * 1e5, n * 50000, n / 100, 0
      FROM runs r, seq ORDER BY r.id, n;
    `);
  })();
  db.pragma('foreign_keys = ON');
  db.exec('ANALYZE');
}

/**
 * Late data: samples of one run arrive after its figures were stored (an import, a slow writer); the next
 * batch query recomputes that run alone.
 */
function lateDataFigure(db: Db, runs: number): BenchFigure {
  const runId = `run${String(Math.floor(runs / 3)).padStart(5, '0')}`;
  const q = findQuery('tool-resources-summary');
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    db.prepare(`INSERT INTO samples (run_id, t_ms, source, memory_current_bytes, cpu_usage_usec)
                SELECT id, started_at + 50 + ?, 'late', 4e9, 0 FROM runs WHERE id = ?`).run(i, runId);
    const t = process.hrtime.bigint();
    q.run(db, { batchId: 'bench' });
    times.push(elapsedMs(t));
  }
  return { name: `query tool-resources-summary --batch (${runs} runs) after late samples of one run`, value: median(times), unit: 'ms', goal: '< 200 ms', note: 'one sample inserted into one run before each query: that run\'s figures are recomputed, the others read' };
}

interface Case {
  query: string;
  filter: RunFilter;
  /** How the case reads in the table. */
  scope: string;
}

function cases(runs: number): Case[] {
  const oneRun = { runId: `run${String(Math.floor(runs / 2)).padStart(5, '0')}` };
  return [
    { query: 'runs', filter: {}, scope: `all ${runs} runs` },
    { query: 'tools', filter: {}, scope: 'all sessions' },
    { query: 'tools', filter: oneRun, scope: '--run' },
    { query: 'tool-resources', filter: oneRun, scope: '--run' },
    { query: 'tool-resources-summary', filter: oneRun, scope: '--run' },
    { query: 'tool-resources-summary', filter: { batchId: 'bench' }, scope: `--batch (${runs} runs)` },
    { query: 'profiles', filter: { batchId: 'bench' }, scope: '--batch' },
    { query: 'tokens', filter: {}, scope: 'all sessions' },
    { query: 'tokens', filter: oneRun, scope: '--run' },
  ];
}

export const runQueryBench: Bench = async ({ quick }) => {
  const runs = quick ? 100 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-queries-'));
  try {
    const path = join(dir, 'bench.db');
    const db = openDb(path);
    const started = process.hrtime.bigint();
    generate(db, runs);
    const generatedS = elapsedMs(started) / 1000;
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const sizes = `${count('messages').toLocaleString('en')} messages, ${count('samples').toLocaleString('en')} samples, ${count('tool_uses').toLocaleString('en')} tool calls`;
    // What the end of each run (and each ingest) does: store the run's and its session's tool-call figures.
    const storeStarted = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) storeRunFigures(db, `run${String(i).padStart(5, '0')}`);
    const storeMs = elapsedMs(storeStarted) / runs;
    const reps = quick ? 3 : 5;
    const figures: BenchFigure[] = cases(runs).map(({ query, filter, scope }) => {
      const q = findQuery(query);
      let rows = q.run(db, filter).length; // warm-up: page cache and statement compilation
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = process.hrtime.bigint();
        rows = q.run(db, filter).length;
        times.push(elapsedMs(t));
      }
      return { name: `query ${query} ${scope}`, value: median(times), unit: 'ms', goal: '< 200 ms', note: `${rows} rows, median of ${reps}` };
    });
    figures.push(
      { name: 'storing one run\'s tool-call figures (at its end)', value: storeMs, unit: 'ms', note: `${TOOL_CALLS_PER_RUN} calls, ${SAMPLES_PER_RUN} samples a run; mean over ${runs} runs` },
      lateDataFigure(db, runs),
    );
    db.close();
    figures[0].note = `${figures[0].note}; database: ${sizes}, ${(statSync(path).size / 1e9).toFixed(2)} GB, generated in ${generatedS.toFixed(0)} s`;
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
