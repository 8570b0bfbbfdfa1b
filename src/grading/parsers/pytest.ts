// The harness's pytest parsers (v5 log_parsers/python.py): parse_log_pytest, parse_log_pytest_options,
// parse_log_pytest_v2 and parse_log_matplotlib. Their quirks are kept on purpose: the datasets' FAIL_TO_PASS and
// PASS_TO_PASS ids were recorded through them, so a "better" parser would fail tests the harness passes.
import { PY_DIGIT, pySplit } from '../python-text.js';
import { TEST_STATUSES, type StatusMap } from '../status.js';

const startsWithStatus = (line: string) => TEST_STATUSES.some((s) => line.startsWith(s));
const endsWithStatus = (line: string) => TEST_STATUSES.some((s) => line.endsWith(s));

const SKIP_COUNT = new RegExp(`^\\[${PY_DIGIT}+\\]$`, 'u');

/** `SKIPPED [2] file:line: reason`, pytest's folded skip summary: "[2]" is a count, not a test (v5). */
const isSkipSummary = (status: string, name: string) => status === 'SKIPPED' && SKIP_COUNT.test(name);

/**
 * A line that starts with a status word → [id, status]: FAILED lines have every " - " made " " first, the id is
 * the second whitespace-separated word (so an id with a space is cut there, and `PASSED [100%]` yields "[100%]").
 */
function statusFirst(line: string): [string, string] | null {
  if (!startsWithStatus(line)) return null;
  const words = pySplit(line.startsWith('FAILED') ? line.replaceAll(' - ', ' ') : line);
  if (words.length <= 1 || isSkipSummary(words[0], words[1])) return null;
  return [words[1], words[0]];
}

function parseLines(log: string, rewrite: (line: string) => string, key: (id: string) => string): StatusMap {
  const map: StatusMap = new Map();
  for (const line of log.split('\n')) {
    const hit = statusFirst(rewrite(line));
    if (hit) map.set(key(hit[0]), hit[1]);
  }
  return map;
}

const same = (s: string) => s;

export function parseLogPytest(log: string): StatusMap {
  return parseLines(log, same, same);
}

/**
 * parse_log_pytest_options: an id `name[param]` whose param is an absolute path (not `//`, no `*`) keeps only its
 * last component, `f[/tmp/pytest-of-root/pytest-0/data.txt]` → `f[/data.txt]`, since the datasets recorded ids
 * from other machines. As the harness's `(.*?)\[(.*)\]`: from the first "[" to the last "]", the rest dropped.
 */
export function pathParamId(id: string): string {
  const open = id.indexOf('[');
  const close = id.lastIndexOf(']');
  if (open < 0 || close < open) return id;
  let param = id.slice(open + 1, close);
  if (param.startsWith('/') && !param.startsWith('//') && !param.includes('*')) param = `/${param.split('/').at(-1)}`;
  return `${id.slice(0, open)}[${param}]`;
}

export function parseLogPytestOptions(log: string): StatusMap {
  return parseLines(log, same, pathParamId);
}

/** parse_log_matplotlib: parse_log_pytest after MouseButton.LEFT → 1 and MouseButton.RIGHT → 3 in every line. */
export function parseLogMatplotlib(log: string): StatusMap {
  return parseLines(log, (line) => line.replaceAll('MouseButton.LEFT', '1').replaceAll('MouseButton.RIGHT', '3'), same);
}

const ANSI_NUMBER = new RegExp(`\\[${PY_DIGIT}+m`, 'gu');
const CONTROL = /[\x01-\x1f]/g;

/**
 * parse_log_pytest_v2: "[<digits>m" and the characters 1-31 are removed first (so colour codes go). A line that
 * starts with a status keys the whole rest of the line (ids with spaces survive); only FAILED lines are cut at the
 * first " - ", so `XFAIL id - reason`, `ERROR id - msg` and `SKIPPED id - Skipped: why` (pytest >= 8) are keyed
 * with their message. Else a line that ends with a status (`path::id PASSED`, classic verbose) keys all before it.
 */
export function parseLogPytestV2(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const raw of log.split('\n')) {
    let line = raw.replace(ANSI_NUMBER, '').replace(CONTROL, '');
    if (startsWithStatus(line)) {
      if (line.startsWith('FAILED')) line = line.split(' - ')[0];
      const words = pySplit(line);
      if (words.length >= 2 && !isSkipSummary(words[0], words[1])) map.set(words.slice(1).join(' '), words[0]);
    } else if (endsWithStatus(line)) {
      const words = pySplit(line);
      if (words.length >= 2) map.set(words.slice(0, -1).join(' '), words[words.length - 1]);
    }
  }
  return map;
}
