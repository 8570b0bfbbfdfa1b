// Grading throughput: generated eval logs shaped like SWE-bench's (pytest -rA, pytest with colour for
// parse_log_pytest_v2, Django's runner, sympy's runner; hundreds of tests, tracebacks, xtrace framing), graded
// as `agentpod grade --log` does past its start-up, next to merely reading and splitting the same files; and
// the whole CLI per log, next to `agentpod --version` (node start and module loading).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { gradeSavedLog, type GradeSpec } from '../grading/index.js';
import { packageRoot } from '../package-root.js';
import type { Bench, BenchFigure } from './figures.js';
import { median, ratio } from './stats.js';

const CLI = join(packageRoot, 'dist', 'cli.js');
const MB = 1e6;

interface BenchLog {
  file: string;
  spec: GradeSpec;
}

const TRACEBACK = Array.from({ length: 12 }, (_, i) => `    frame ${i}: assert compute(value) == expected  # line ${100 + i}`).join('\n');

/** One eval log of `tests` results: [test output, F2P, P2P, parser]. Every tenth test fails with a traceback. */
function synthetic(kind: number, n: number, tests: number): { text: string; spec: GradeSpec } {
  const ids: string[] = [];
  const out: string[] = [];
  const failed = (i: number) => i % 10 === 3;
  let parser = 'parse_log_pytest';
  if (kind === 0 || kind === 1) {
    parser = kind === 0 ? 'parse_log_pytest' : 'parse_log_pytest_v2';
    out.push('============================= test session starts ==============================', `collected ${tests} items`, '');
    for (let i = 0; i < tests; i++) ids.push(`tests/test_mod${i % 7}.py::TestCase${i % 13}::test_case_${n}_${i}[param-${i % 5}]`);
    for (let i = 0; i < tests; i++) if (failed(i)) out.push(`____ ${ids[i]} ____`, TRACEBACK, 'E   AssertionError');
    out.push('=========================== short test summary info ============================');
    const colour = (s: string) => (kind === 1 ? `\x1b[32m${s}\x1b[0m` : s);
    for (let i = 0; i < tests; i++) out.push(failed(i) ? `FAILED ${ids[i]} - AssertionError: values differ` : `${colour('PASSED')} ${ids[i]}`);
  } else if (kind === 2) {
    parser = 'parse_log_django';
    for (let i = 0; i < tests; i++) ids.push(`test_case_${n}_${i} (app${i % 9}.tests.Case${i % 13}Tests)`);
    out.push(`Found ${tests} test(s).`, 'System check identified no issues (0 silenced).');
    for (let i = 0; i < tests; i++) out.push(`${ids[i]} ... ${failed(i) ? 'FAIL' : 'ok'}`);
    for (let i = 0; i < tests; i++) if (failed(i)) out.push('='.repeat(70), `FAIL: ${ids[i]}`, '-'.repeat(70), TRACEBACK);
  } else {
    parser = 'parse_log_sympy';
    for (let i = 0; i < tests; i++) ids.push(`test_case_${n}_${i}`);
    out.push('============================= test process starts ==============================', `sympy/core/tests/test_mod${n}.py[${tests}] `);
    for (let i = 0; i < tests; i++) out.push(`${ids[i]} ${failed(i) ? 'F' : 'ok'}`);
    for (let i = 0; i < tests; i++) if (failed(i)) out.push('_'.repeat(80), `_____ sympy/core/tests/test_mod${n}.py:${ids[i]} _____`, TRACEBACK);
  }
  const text = ['+ cd /testbed', '+ git status', "+ : '>>>>> Start Test Output'", '+ run-tests', ...out, '+ SWEBENCH_TEST_EXIT_CODE=1', "+ : '>>>>> End Test Output'", "+ echo '>>>>> Test Exit Code: 1'", '>>>>> Test Exit Code: 1', ''].join('\n');
  return { text, spec: { instanceId: `bench__log-${n}`, failToPass: ids.slice(0, 5), passToPass: ids.slice(5), parser, evalType: 'pass_and_fail' } };
}

function writeCorpus(dir: string, count: number): { logs: BenchLog[]; bytes: number } {
  const logs: BenchLog[] = [];
  let bytes = 0;
  for (let n = 0; n < count; n++) {
    const { text, spec } = synthetic(n % 4, n, 200 + ((n * 37) % 600));
    const file = join(dir, `log-${n}.txt`);
    writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
    logs.push({ file, spec });
  }
  return { logs, bytes };
}

function timeMs(job: () => void): number {
  const started = performance.now();
  job();
  return performance.now() - started;
}

async function cliFigure(dir: string, log: BenchLog, runs: number): Promise<BenchFigure> {
  const task = join(dir, 'task.json');
  writeFileSync(task, JSON.stringify({ instance_id: log.spec.instanceId, FAIL_TO_PASS: log.spec.failToPass, PASS_TO_PASS: log.spec.passToPass, log_parser: log.spec.parser }));
  const wall = async (args: string[]) => {
    const started = performance.now();
    const r = await execa(process.execPath, [CLI, ...args], { reject: false });
    if (r.exitCode !== 0) throw new Error(`agentpod ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr)}`);
    return performance.now() - started;
  };
  const grade: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < runs; i++) {
    version.push(await wall(['--version']));
    grade.push(await wall(['grade', '--log', log.file, '--task', task, '--json']));
  }
  const ms = median(grade);
  const base = median(version);
  return {
    name: `agentpod grade --log, one ${(readFileSync(log.file).length / 1e3).toFixed(0)} KB log per process (median of ${runs})`,
    value: ms,
    unit: 'ms',
    baseline: base,
    ratio: ratio(ms, base),
    note: `${(1000 / ms).toFixed(1)} logs/s one process per log; baseline: agentpod --version (node start + module loading)`,
  };
}

export const runGradingBench: Bench = async ({ quick }) => {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-bench-grading-'));
  try {
    const { logs, bytes } = writeCorpus(dir, quick ? 100 : 400);
    const reps = quick ? 3 : 5;
    const readSplit: number[] = [];
    const graded: number[] = [];
    let resolved = 0;
    for (let r = 0; r < reps; r++) {
      // Alternated, each pass over every file: the page cache is warm for both after the first write.
      readSplit.push(timeMs(() => logs.forEach((l) => readFileSync(l.file, 'utf8').split('\n'))));
      graded.push(
        timeMs(() => {
          resolved = logs.filter((l) => gradeSavedLog(readFileSync(l.file, 'utf8'), l.spec).resolved).length;
        }),
      );
    }
    if (resolved !== 0) throw new Error(`grading bench: ${resolved} logs resolved, expected 0 (every log fails some P2P test)`);
    const rate = (ms: number) => logs.length / (ms / 1000);
    const gradeRate = rate(median(graded));
    const floorRate = rate(median(readSplit));
    return [
      {
        name: `grade --log core: read + grade, ${logs.length} logs (${(bytes / MB).toFixed(1)} MB; pytest, pytest_v2, django, sympy)`,
        value: gradeRate,
        unit: 'logs/s',
        baseline: floorRate,
        ratio: ratio(gradeRate, floorRate),
        note: `${((bytes / MB) / (median(graded) / 1000)).toFixed(1)} MB/s; baseline: reading the same files and splitting them into lines; median of ${reps}`,
      },
      await cliFigure(dir, logs[0], quick ? 5 : 15),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
