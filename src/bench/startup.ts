// Start-up: wall time of `agentpod --version`, `agentpod --help` and `agentpod query runs` on a small database,
// each against bare `node -e 0` in the same run (alternated, so load drift hits both), median of N.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../package-root.js';
import type { Bench, BenchFigure } from './figures.js';
import { alternate, median, ratio, timeMs } from './stats.js';

const CLI = join(packageRoot, 'dist', 'cli.js');
const FIXTURE_TRACE = join(packageRoot, 'traces', 'fixtures', 'cli');

const node = (args: string[]) => execa(process.execPath, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });

async function figure(name: string, args: string[], runs: number, goalMs: number | null): Promise<BenchFigure> {
  await node([CLI, ...args]); // warm-up: the page cache holds the files afterwards, as for a user typing commands
  const { subjectMs, baselineMs } = await alternate(runs, () => node([CLI, ...args]), () => timeMs(() => node(['-e', '0'])));
  const value = median(subjectMs);
  const baseline = median(baselineMs);
  return {
    name: `start-up: agentpod ${name}`,
    value: Math.round(value),
    unit: 'ms',
    baseline: Math.round(baseline),
    ratio: ratio(value, baseline),
    ...(goalMs === null ? {} : { goal: `<= ${goalMs} ms` }),
    note: `median of ${runs} alternated runs each; baseline: node -e 0; agentpod's own share ${Math.round(value - baseline)} ms`,
  };
}

export const runStartupBench: Bench = async ({ quick }) => {
  const runs = quick ? 9 : 21;
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-startup-'));
  try {
    const db = join(dir, 'agentpod.db');
    await node([CLI, 'ingest', '--db', db, FIXTURE_TRACE]);
    return [
      await figure('--version', ['--version'], runs, 150),
      await figure('--help', ['--help'], runs, null),
      await figure('query runs (small database)', ['query', 'runs', '--db', db], runs, 200),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
