// Ingest benchmark: a synthetic corpus shaped like real trace folders, ingested into a fresh database,
// next to the floor of merely reading the same bytes line by line and JSON.parse-ing them; then the
// no-change re-scans (the cost of `agentpod ingest` when nothing changed).
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { openDb } from '../db/open.js';
import { findTraceFiles, ingestPaths } from '../ingest/index.js';
import { readCompleteLines } from '../ingest/lines.js';
import { logNormalSizes, writeSyntheticCorpus, writeSyntheticTrace, seededRandom, type CorpusExpectation } from '../ingest/synthetic.js';
import type { Bench, BenchFigure } from './figures.js';

const MB = 1e6;

/** The floor: stream every file's lines and JSON.parse them, nothing else. */
async function readAndParse(dir: string): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  let bytes = 0;
  for (const path of await findTraceFiles([dir])) {
    const file = await open(path);
    for (const line of readCompleteLines(file, 0)) {
      if (line.kind === 'line') JSON.parse(line.bytes.toString('utf8'));
      bytes = bytes + line.end - line.start;
    }
    await file.close();
  }
  return { bytes, ms: performance.now() - started };
}

async function timed<T>(job: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await job();
  return { value, ms: performance.now() - started };
}

async function corpusFigures(root: string, quick: boolean): Promise<BenchFigure[]> {
  const corpus = join(root, 'corpus');
  // Full: the shape of a heavy user's ~/.claude/projects (issue 7): ~3,100 files, median ~100 KB,
  // p99 ~5 MB, largest ~90 MB, plus one 600 MB file. Quick: ~1,000 files, ~100 MB.
  const sizes = quick ? logNormalSizes(1000, 25_000, 10e6, 1) : [...logNormalSizes(3100, 100_000, 90e6, 1), 600e6];
  const expected: CorpusExpectation = await writeSyntheticCorpus(corpus, sizes, 42);
  const floor = await readAndParse(corpus); // also warms the page cache for both
  const db = openDb(join(root, 'bench.db'));
  const ingest = await timed(() => ingestPaths(db, [corpus]));
  const rescan = await timed(() => ingestPaths(db, [corpus]));
  const counted = db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number };
  const tokens = db.prepare('SELECT SUM(input_tokens) AS input, SUM(output_tokens) AS output FROM responses WHERE is_synthetic = 0').get() as TokenTotals;
  db.close();
  if (counted.n !== expected.responses || ingest.value.bytes !== expected.bytes) {
    throw new Error(`ingest bench: counted ${counted.n} responses / ${ingest.value.bytes} bytes, expected ${expected.responses} / ${expected.bytes}`);
  }
  const dbBytes = statSync(join(root, 'bench.db')).size;
  const ingestRate = expected.bytes / MB / (ingest.ms / 1000);
  const floorRate = floor.bytes / MB / (floor.ms / 1000);
  const corpusText = `${expected.files} files, ${(expected.bytes / MB).toFixed(0)} MB, ${expected.lines} lines`;
  return [
    {
      name: `ingest throughput (${corpusText})`,
      value: ingestRate,
      unit: 'MB/s',
      baseline: floorRate,
      ratio: ingestRate / floorRate,
      note: `baseline: reading the same lines and JSON.parse-ing them (${(floor.ms / 1000).toFixed(1)} s); ingest took ${(ingest.ms / 1000).toFixed(1)} s`,
    },
    { name: `no-change re-scan (${expected.files} files)`, value: rescan.ms, unit: 'ms', note: `${rescan.value.filesSkipped} files skipped by stat` },
    { name: 'database size / corpus size', value: dbBytes / expected.bytes, unit: 'ratio', note: `${(dbBytes / MB).toFixed(0)} MB database (long lines deflated)` },
    await ccusageFigure(root, corpus, ingest.ms, tokens),
  ];
}

interface TokenTotals {
  input: number;
  output: number;
}

/**
 * ccusage@17 (`session --json --offline`) over the same corpus, installed from npm into the bench's temp dir;
 * its token totals are set beside ours as a cross-check. When it cannot be installed or fails, the figure says why.
 */
async function ccusageFigure(root: string, corpus: string, ingestMs: number, ours: TokenTotals): Promise<BenchFigure> {
  const name = 'ccusage@17 session --json --offline, same corpus';
  const prefix = join(root, 'ccusage');
  const install = await execa('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', 'ccusage@17'], { reject: false, timeout: 180_000 });
  if (install.failed) return { name, value: null, unit: 'ms', note: `not installable here: ${String(install.stderr).trim().split('\n').pop()}` };
  // ccusage reads <CLAUDE_CONFIG_DIR>/projects.
  const home = join(root, 'ccusage-home');
  mkdirSync(home);
  symlinkSync(corpus, join(home, 'projects'));
  const started = performance.now();
  const run = await execa(join(prefix, 'node_modules', '.bin', 'ccusage'), ['session', '--json', '--offline'], {
    reject: false,
    env: { CLAUDE_CONFIG_DIR: home },
    maxBuffer: 1e9,
  });
  const ms = performance.now() - started;
  if (run.failed) return { name, value: null, unit: 'ms', note: `failed (exit ${run.exitCode}): ${String(run.stderr).trim().split('\n').pop()?.slice(0, 200)}` };
  const totals = (JSON.parse(String(run.stdout)) as { totals: { inputTokens: number; outputTokens: number } }).totals;
  return {
    name,
    value: ms,
    unit: 'ms',
    baseline: ingestMs,
    ratio: ms / ingestMs,
    note: `baseline: agentpod's full ingest; tokens in/out: ccusage ${totals.inputTokens}/${totals.outputTokens}, agentpod ${ours.input}/${ours.output}`,
  };
}

async function rescanFigure(root: string): Promise<BenchFigure> {
  const dir = join(root, 'many');
  const random = seededRandom(3);
  const files = 10_000;
  for (let i = 0; i < files; i++) {
    const project = join(dir, `-p${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(project, { recursive: true });
    await writeSyntheticTrace(join(project, `s${i}.jsonl`), 1500, random);
  }
  const db = openDb(join(root, 'many.db'));
  await ingestPaths(db, [dir]);
  const rescan = await timed(() => ingestPaths(db, [dir]));
  db.close();
  return { name: `no-change re-scan of ${files} files`, value: rescan.ms, unit: 'ms', goal: '< 500 ms', note: `${rescan.value.filesSkipped} skipped, ${rescan.value.filesParsed} parsed` };
}

export const runIngestBench: Bench = async ({ quick }) => {
  const root = mkdtempSync(join(tmpdir(), 'agentpod-bench-ingest-'));
  try {
    return [...(await corpusFigures(root, quick)), await rescanFigure(root)];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
