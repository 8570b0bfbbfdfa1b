// Stored tool-call figures (analysis/stored.ts): the queries that read them answer exactly what computing from
// the calls and samples answers, and stay right when data arrives after the first computation — samples
// imported later, trace lines ingested later, a run that ends.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findQuery } from '../../src/analysis/index.js';
import type { RunFilter } from '../../src/analysis/filter.js';
import { groupByToolAndFamily, toolCallKey } from '../../src/analysis/groups.js';
import { rate, spread, sum } from '../../src/analysis/stats.js';
import { storeRunFigures } from '../../src/analysis/stored.js';
import { measuredToolCalls, toolResourceRow, toolResourceSummary } from '../../src/analysis/tool-resources.js';
import { generate } from '../../src/bench/queries.js';
import type { Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { analysisDb, FIXTURE_SESSION, FIXTURE_TRACE_DIR, insertRun, insertSamples, MB } from '../helpers/analysis-db.js';

const T = 1795356487000; // the fixture trace starts at T + 120; its calls run between T + 268 and T + 472
const run = (db: Db, name: string, filter: RunFilter = {}) => findQuery(name).run(db, filter);

/** `tools` computed straight from the tool_calls view, as the query did before it stored anything. */
function toolsFromCalls(db: Db, filter: RunFilter) {
  const sessions = filter.runId ? (db.prepare('SELECT session_id FROM runs WHERE id = ?').pluck().all(filter.runId) as string[]) : null;
  const calls = (db.prepare('SELECT session_id, tool_name, command, duration_ms, is_error FROM tool_calls').all() as Record<string, string | number | null>[])
    .filter((c) => !sessions || sessions.includes(c.session_id as string))
    .map((c) => ({ ...toolCallKey(c.tool_name as string | null, c.command as string | null), durationMs: c.duration_ms as number | null, isError: c.is_error === 1 }));
  return groupByToolAndFamily(calls).map(({ tool, family, items }) => {
    const finished = items.filter((c) => c.durationMs !== null);
    const d = spread(finished.map((c) => c.durationMs));
    return { tool, family, calls: items.length, unfinished: items.length - finished.length, error_rate: rate(finished.filter((c) => c.isError).length, finished.length), total_ms: sum(finished.map((c) => c.durationMs)), p50_ms: d.p50, p95_ms: d.p95, max_ms: d.max };
  });
}

/** `tokens` straight from the responses table, as the query did before it stored anything. */
const tokensFromResponses = (db: Db, filter: RunFilter) =>
  db
    .prepare(
      `SELECT p.session_id, r.id AS run_id, p.model, COUNT(*) AS responses, SUM(p.agent_id IS NOT NULL) AS subagent_responses,
              SUM(p.input_tokens) AS input_tokens, SUM(p.output_tokens) AS output_tokens,
              SUM(p.cache_creation_input_tokens) AS cache_creation_input_tokens, SUM(p.cache_read_input_tokens) AS cache_read_input_tokens
       FROM responses p LEFT JOIN runs r ON r.session_id = p.session_id
       WHERE p.is_synthetic = 0 AND (@runId IS NULL OR r.id = @runId)
       GROUP BY p.session_id, p.model ORDER BY MIN(p.first_ms), p.session_id, p.model`,
    )
    .all({ runId: filter.runId ?? null });

const fresh = (db: Db, filter: RunFilter) => ({
  tokens: filter.batchId ? run(db, 'tokens', filter) : tokensFromResponses(db, filter),
  tools: toolsFromCalls(db, filter),
  rows: measuredToolCalls(db, filter).map(toolResourceRow),
  summary: toolResourceSummary(measuredToolCalls(db, filter)),
});
const stored = (db: Db, filter: RunFilter) => ({
  tokens: run(db, 'tokens', filter),
  tools: run(db, 'tools', filter),
  rows: run(db, 'tool-resources', filter),
  summary: run(db, 'tool-resources-summary', filter),
});
const count = (db: Db, sql: string) => db.prepare(sql).pluck().get() as number;

let db: Db;
let dir: string;
beforeEach(() => ({ db, dir } = analysisDb()));
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stored figures answer what the calls and samples answer', () => {
  it('on a generated batch of 6 runs (1,200 calls, 60,000 samples), for a run, the batch and everything', () => {
    generate(db, 6);
    for (const filter of [{ runId: 'run00003' }, { batchId: 'bench' }, {}]) expect(stored(db, filter)).toEqual(fresh(db, filter));
    expect(count(db, 'SELECT COUNT(*) FROM tool_windows')).toBe(1200);
    expect(count(db, 'SELECT COUNT(*) FROM tool_windows_state')).toBe(6);
  });

  it('a second query reads what the first stored: nothing is recomputed', () => {
    generate(db, 2);
    run(db, 'tool-resources-summary', { batchId: 'bench' });
    const computedAt = db.prepare('SELECT run_id, computed_at_ms FROM tool_windows_state ORDER BY run_id').all();
    run(db, 'tool-resources-summary', { batchId: 'bench' });
    expect(db.prepare('SELECT run_id, computed_at_ms FROM tool_windows_state ORDER BY run_id').all()).toEqual(computedAt);
  });
});

describe('late data', () => {
  beforeEach(async () => {
    await ingestPaths(db, [FIXTURE_TRACE_DIR]);
    insertRun(db, { id: 'r1', session_id: FIXTURE_SESSION, started_at: T, finished_at: T + 600 });
    insertSamples(db, 'r1', [200, 250, 400, 500].map((t) => ({ t_ms: T + t, memory_current_bytes: 100 * MB, cpu_usage_usec: t * 100 })));
    storeRunFigures(db, 'r1'); // as at the end of the run
  });

  it('samples imported after the figures were stored: the next query sees them', () => {
    expect(run(db, 'tool-resources', { runId: 'r1' })[0]).toMatchObject({ window: 'bracketing', peak_memory_bytes: 100 * MB });
    insertSamples(db, 'r1', [{ t_ms: T + 290, memory_current_bytes: 900 * MB, cpu_usage_usec: 29_500 }]);
    expect(count(db, 'SELECT COUNT(*) FROM tool_windows_state')).toBe(0);
    expect(run(db, 'tool-resources', { runId: 'r1' })[0]).toMatchObject({ window: 'inside', samples: 1, peak_memory_bytes: 900 * MB });
    expect(stored(db, { runId: 'r1' })).toEqual(fresh(db, { runId: 'r1' }));
  });

  it('trace lines ingested after the figures were stored: the next query sees them', async () => {
    // A second copy of the session: a trace whose results arrive later (here: the whole main trace again, under
    // another project folder, first cut before its last tool_result, then complete).
    const lines = readFileSync(join(FIXTURE_TRACE_DIR, `${FIXTURE_SESSION}.jsonl`), 'utf8').split('\n').filter(Boolean);
    const other = '00000000-0000-4000-8000-0000000000b2';
    const text = lines.map((l) => l.replaceAll(FIXTURE_SESSION, other)).map((l) => l.replace(/toolu_/g, 'toolu_b2_'));
    const lastResult = text.findLastIndex((l) => l.includes('"tool_result"'));
    const project = join(dir, 'late', '-proj');
    mkdirSync(project, { recursive: true });
    const file = join(project, `${other}.jsonl`);
    writeFileSync(file, `${text.slice(0, lastResult).join('\n')}\n`);
    await ingestPaths(db, [file]);
    insertRun(db, { id: 'r2', session_id: other, started_at: T, finished_at: T + 600 });
    const before = run(db, 'tools', { runId: 'r2' });
    expect(before.find((r) => r.tool === 'Bash' && r.family === null)?.unfinished).toBe(0);
    expect(before.find((r) => r.tool === 'Agent')?.unfinished).toBe(1);
    writeFileSync(file, `${text.join('\n')}\n`);
    await ingestPaths(db, [file]);
    expect(run(db, 'tools', { runId: 'r2' }).find((r) => r.tool === 'Agent')?.unfinished).toBe(0);
    expect(stored(db, { runId: 'r2' })).toEqual(fresh(db, { runId: 'r2' }));
    expect(stored(db, {})).toEqual(fresh(db, {}));
  });

  it('a run that ends after its figures were stored: calls without a result are measured to the new end', async () => {
    insertRun(db, { id: 'r3', session_id: 'no-trace', started_at: T, finished_at: null });
    storeRunFigures(db, 'r3');
    db.prepare('UPDATE runs SET finished_at = ? WHERE id = ?').run(T + 700, 'r1');
    expect(count(db, "SELECT COUNT(*) FROM tool_windows_state WHERE run_id = 'r1'")).toBe(0);
    expect(count(db, "SELECT COUNT(*) FROM tool_windows_state WHERE run_id = 'r3'")).toBe(1);
    expect(stored(db, { runId: 'r1' })).toEqual(fresh(db, { runId: 'r1' }));
  });

  it('a trace file re-read from the start (replaced) restores the same figures', async () => {
    const copy = join(dir, 'copy', `${FIXTURE_SESSION}.jsonl`);
    mkdirSync(join(dir, 'copy'), { recursive: true });
    copyFileSync(join(FIXTURE_TRACE_DIR, `${FIXTURE_SESSION}.jsonl`), copy);
    const first = stored(db, {});
    await ingestPaths(db, [copy]); // a second file with the same calls: the canonical copy stays the earliest
    expect(stored(db, {})).toEqual(fresh(db, {}));
    expect(stored(db, {}).tools).toEqual(first.tools);
  });
});
