// The harness's parse_log_sympy (v5 log_parsers/python.py), for sympy's own runner (bin/test --verbose).
// Quirks kept: failure headers `___ path.py:test_x ___` are keyed "path.py:test_x" FAILED; a verdict line is
// keyed by its first word; the last test of each file is never parsed, because the runner appends the file's
// verdict to its line ("test_last ok      [OK]"); f (xfail), X (xpass), s (skip), T (timeout) are not recognised.
import { pySplit, pyStrip } from '../python-text.js';
import type { StatusMap } from '../status.js';

/**
 * `(_*) (.*)\.py:(.*) (_*)`, with Python's "." (anything but "\n"). A match never spans lines, so it is sought
 * only in lines holding ".py:" (the same matches in the same order as over the whole log, without the
 * backtracking from every space of every other line).
 */
const FAILURE_HEADER = /(_*) ([^\n]*)\.py:([^\n]*) (_*)/g;

export function parseLogSympy(log: string): StatusMap {
  const map: StatusMap = new Map();
  const lines = log.split('\n');
  for (const line of lines) {
    if (!line.includes('.py:')) continue;
    for (const m of line.matchAll(FAILURE_HEADER)) map.set(`${m[2]}.py:${m[3]}`, 'FAILED');
  }
  for (const raw of lines) {
    const line = pyStrip(raw);
    if (!line.startsWith('test_')) continue;
    const name = pySplit(line)[0];
    if (line.endsWith(' E')) map.set(name, 'ERROR');
    if (line.endsWith(' F')) map.set(name, 'FAILED');
    if (line.endsWith(' ok')) map.set(name, 'PASSED');
  }
  return map;
}
