// Import benchmark: a synthetic data set in the AgentCgroup study's published shape (207 attempts like the three
// published sets together: ~330 samples 1.04 s apart and a ~600 KB trace each), imported into a fresh database,
// next to the baseline of ingesting the same traces alone; then a second import that finds nothing new.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../db/open.js';
import { importAgentcgroup } from '../importers/agentcgroup/index.js';
import { ingestPaths } from '../ingest/index.js';
import { addExpectations, seededRandom, writeSyntheticTrace, type CorpusExpectation } from '../ingest/synthetic.js';
import type { Bench, BenchFigure } from './figures.js';

const SAMPLES = 330;

function naive(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '');
}

/** results.json and resources.json of one attempt: `SAMPLES` readings from `startMs`, memory around 200 MB. */
function writeAttemptFiles(dir: string, startMs: number, random: () => number): void {
  const samples = Array.from({ length: SAMPLES }, (_, i) => {
    const t = startMs + i * 1040;
    return { timestamp: naive(t), epoch: t / 1000, mem_usage: `${(180 + random() * 400).toFixed(1)}MB / 134.5GB`, mem_percent: '0.15%', cpu_percent: `${(random() * 50).toFixed(2)}%` };
  });
  writeFileSync(join(dir, 'resources.json'), JSON.stringify({ samples, summary: {} }));
  const results = {
    image: 'swerebench/sweb.eval.x86_64.acme_1776_widget-1', start_time: naive(startMs - 60_000), end_time: naive(startMs + SAMPLES * 1040),
    memory_limit: null, cpu_limit: null, model: 'haiku', pull_time: 1, permission_fix_time: 20, claude_time: SAMPLES * 1.04 + 10,
    claude_output: { stdout: 'done', stderr: '', exit_code: 0 }, total_time: SAMPLES * 1.04 + 70,
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
}

export const runImportBench: Bench = async ({ quick }) => {
  const root = mkdtempSync(join(tmpdir(), 'agentpod-bench-import-'));
  try {
    const attempts = quick ? 30 : 207;
    const set = join(root, 'synthetic_set');
    const random = seededRandom(13);
    let traces: CorpusExpectation | null = null;
    for (let i = 0; i < attempts; i++) {
      const dir = join(set, `acme__widget-${i}`, 'attempt_1');
      mkdirSync(dir, { recursive: true });
      writeAttemptFiles(dir, Date.UTC(2026, 1, 1) + i * 3_600_000, random);
      const trace = await writeSyntheticTrace(join(dir, 'trace.jsonl'), 600_000, random);
      traces = traces ? addExpectations(traces, trace) : trace;
    }
    const timed = async <T>(job: () => Promise<T>) => {
      const started = performance.now();
      const value = await job();
      return { value, ms: performance.now() - started };
    };
    const baselineDb = openDb(join(root, 'ingest.db'));
    const ingest = await timed(() => ingestPaths(baselineDb, [set]));
    baselineDb.close();
    const db = openDb(join(root, 'import.db'));
    const first = await timed(() => importAgentcgroup(db, [set]));
    const again = await timed(() => importAgentcgroup(db, [set]));
    db.close();
    if (first.value.imported !== attempts || first.value.samples !== attempts * SAMPLES || again.value.imported !== 0) {
      throw new Error(`import bench: imported ${first.value.imported} attempts / ${first.value.samples} samples, then ${again.value.imported}; expected ${attempts} / ${attempts * SAMPLES}, then 0`);
    }
    const size = `${attempts} attempts, ${attempts * SAMPLES} samples, ${((traces?.bytes ?? 0) / 1e6).toFixed(0)} MB of traces`;
    const figures: BenchFigure[] = [
      { name: `import agentcgroup (${size})`, value: first.ms, unit: 'ms', baseline: ingest.ms, ratio: first.ms / ingest.ms, goal: 'the three published sets in < 60 s', note: 'baseline: agentpod ingest of the same traces alone, into a fresh database' },
      { name: 'import agentcgroup again, nothing new', value: again.ms, unit: 'ms' },
    ];
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
