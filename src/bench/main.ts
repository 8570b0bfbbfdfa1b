// `npm run bench`: runs every registered benchmark, prints one table of figures (each a median with its
// baseline from the same run) and writes them all to bench-results.json.
//   node dist/bench/main.js [--quick] [--only NAME[,NAME]] [--out FILE]
import { writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Bench, BenchFigure } from './figures.js';
import { runLaunchBench } from './launch.js';
import { elapsedMs } from './stats.js';

interface RegisteredBench {
  name: string;
  /** What it measures, for --help. */
  about: string;
  load(): Promise<Bench>;
}

/**
 * Benches of other modules are loaded by name at run time: a module still missing from a checkout shows up as
 * that bench's error in the table instead of breaking the build of every other bench.
 */
function fromModule(file: string, exportName: string): () => Promise<Bench> {
  return async () => {
    const mod = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
    const bench = mod[exportName];
    if (typeof bench !== 'function') throw new Error(`${file} does not export ${exportName}`);
    return bench as Bench;
  };
}

const BENCHES: RegisteredBench[] = [
  { name: 'startup', about: 'agentpod --version, --help and query runs vs bare node -e 0', load: fromModule('./startup.js', 'runStartupBench') },
  { name: 'launch', about: 'agentpod run vs the identical raw podman run', load: async () => runLaunchBench },
  { name: 'swebench', about: 'warm SWE-bench launch vs raw podman run; permission-fix time for 1k/10k/50k files', load: fromModule('./swebench.js', 'runSwebenchBench') },
  { name: 'sampler', about: 'sampler CPU cost at 100 ms and 1 s intervals, % of one core', load: fromModule('./sampler.js', 'runSamplerBench') },
  { name: 'images', about: 'real-size images (1 GB, 4 GB, ~100k files): permission fix, first and warm launch on overlay and vfs', load: fromModule('./images.js', 'runImagesBench') },
  { name: 'ingest', about: 'ingest throughput vs read+JSON.parse, 600 MB file, no-change re-scan, ccusage', load: fromModule('./ingest.js', 'runIngestBench') },
  { name: 'import', about: 'import agentcgroup of 207 synthetic attempts vs ingesting their traces alone; a second import', load: fromModule('./import.js', 'runImportBench') },
  { name: 'replay', about: 'agentpod replay --think-time none vs the original agentpod run of the same trajectory', load: fromModule('./replay.js', 'runReplayBench') },
  { name: 'queries', about: 'p50 latency of the built-in queries on 1M messages and 10M samples', load: fromModule('./queries.js', 'runQueryBench') },
  { name: 'grading', about: 'grade --log throughput (logs/s) vs reading+splitting the same logs; the CLI per log vs agentpod --version', load: fromModule('./grading.js', 'runGradingBench') },
  { name: 'grading-eval', about: 'agentpod grade of a trial (eval container) vs raw podman run --rm of the same driver', load: fromModule('./grading-eval.js', 'runGradingEvalBench') },
  { name: 'slurm', about: 'per-trial overhead of batch --slurm vs the same trial in a local batch (needs scripts/slurm-cluster.sh up)', load: fromModule('./slurm.js', 'runSlurmBench') },
  { name: 'merge', about: 'merge throughput of 1,000 trial shards into one database', load: fromModule('./slurm.js', 'runMergeBench') },
];

interface BenchResult {
  bench: string;
  seconds: number;
  figures: BenchFigure[];
  error?: string;
}

function fmt(n: number | null | undefined): string {
  if (n === undefined) return '';
  if (n === null) return 'n/a';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function render(results: BenchResult[]): string {
  const rows = [['bench', 'figure', 'value', 'unit', 'baseline', 'ratio', 'goal']];
  const notes: string[] = [];
  for (const r of results) {
    if (r.error) rows.push([r.bench, `FAILED: ${r.error.split('\n')[0].slice(0, 100)}`, '', '', '', '', '']);
    for (const f of r.figures) {
      rows.push([r.bench, f.name, fmt(f.value), f.unit, fmt(f.baseline), fmt(f.ratio), f.goal ?? '']);
      if (f.note) notes.push(`  ${f.name}: ${f.note}`);
    }
  }
  return `${table(rows)}\n${notes.length ? `\nnotes:\n${notes.join('\n')}\n` : ''}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string', default: 'bench-results.json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--quick] [--only NAME[,NAME]] [--out FILE]\n\nbenches:\n${BENCHES.map((b) => `  ${b.name.padEnd(9)} ${b.about}`).join('\n')}\n`,
    );
    return 0;
  }
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter(Boolean);
  const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length) {
    process.stderr.write(`bench: unknown bench ${unknown.join(', ')} (known: ${BENCHES.map((b) => b.name).join(', ')})\n`);
    return 2;
  }
  const selected = only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;

  const results: BenchResult[] = [];
  for (const b of selected) {
    process.stderr.write(`bench ${b.name}: ${b.about} ...\n`);
    const start = process.hrtime.bigint();
    try {
      const bench = await b.load();
      const figures = await bench({ quick: values.quick });
      results.push({ bench: b.name, seconds: elapsedMs(start) / 1000, figures });
    } catch (e) {
      results.push({ bench: b.name, seconds: elapsedMs(start) / 1000, figures: [], error: (e as Error).stack ?? String(e) });
      process.stderr.write(`bench ${b.name}: FAILED: ${(e as Error).message}\n`);
    }
    process.stderr.write(`bench ${b.name}: done in ${(elapsedMs(start) / 1000).toFixed(1)} s\n`);
  }

  process.stdout.write(`\n${render(results)}`);
  const host = { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ finishedAt: new Date().toISOString(), quick: values.quick, host, results }, null, 2)}\n`);
  process.stdout.write(`\nwrote ${values.out}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
