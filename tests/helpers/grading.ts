// Grading fixtures: real runner logs made by scripts/grading-fixtures.sh, and the eval-log framing the harness's
// eval script gives a test command's output (bash xtrace markers, the exit-code line after the end marker).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusMap } from '../../src/grading/status.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'grading');

export function fixtureLog(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

/** As `bash -x eval.sh` writes it: the markers are no-op commands echoed on stderr. */
export function evalLog(testOutput: string, exitCode: number | null, testCommand = 'pytest -rA tests'): string {
  const recorded = exitCode === null ? [] : [`+ SWEBENCH_TEST_EXIT_CODE=${exitCode}`];
  const echoed = exitCode === null ? [] : [`+ echo '>>>>> Test Exit Code: ${exitCode}'`, `>>>>> Test Exit Code: ${exitCode}`];
  return [
    '+ cd /testbed',
    '+ git status',
    "+ git apply -v -",
    'Checking patch tests/test_core.py...',
    'Applied patch tests/test_core.py cleanly.',
    "+ : '>>>>> Start Test Output'",
    `+ ${testCommand}`,
    testOutput.replace(/\n$/, ''),
    ...recorded,
    "+ : '>>>>> End Test Output'",
    ...echoed,
    '+ git checkout 0123abcd tests/test_core.py',
    'Updated 1 path from 4567ef',
    '',
  ].join('\n');
}

export const entries = (m: StatusMap) => Object.fromEntries(m);

/** The fixtures' path parameter is an absolute path of the machine that made them. */
export const PATH_PARAM = /^tests\/test_core\.py::test_path_param\[\/tmp\/[^\]]+\/tests\/data\/input\.txt\]$/;
