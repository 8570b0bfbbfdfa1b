// The harness's parse_log_django (v5 log_parsers/python.py), for Django's runner at --verbosity 2. Quirks kept:
// a test with a docstring is keyed by the docstring's first line (unittest prints "name (mod.Class)\nDocstring ...
// ok"), Python >= 3.11's "name (mod.Class.name)" is not normalised, "FAIL:"/"ERROR:" blocks key the bare method
// name, "... expected failure" / "... unexpected success" are not recognised, and output printed between "..." and
// the verdict is bridged by remembering the last "x ... " line.
import { PY_SPACE, beforeLast, pySplit, pyStrip } from '../python-text.js';
import { ParserCrash, type StatusMap } from '../status.js';

const PASS_SUFFIXES = [' ... ok', ' ... OK', ' ...  OK'];
const VERSION_TEST = '--version is equivalent to version';
/** The harness's exclusive fix for django__django-7188, where a migration line runs into the test's. */
const MIGRATION_RUN_IN = 'Applying sites.0002_alter_domain_unique...test_no_migrations';

// Python re.MULTILINE's ^ and $ see only "\n" as a line end, and its "." only excludes "\n": JavaScript's m flag
// and "." also stop at "\r", U+2028 and U+2029, so the three patterns are spelled out.
const BOL = '(?<![^\\n])';
const EOL = '(?![^\\n])';
const DOT = '[^\\n]';
const S = PY_SPACE;

/** A long multi-line print of Django's interrupting the last test's line; each form ends in "\nok". */
const INTERRUPTED_OK = [
  new RegExp(`${BOL}(${DOT}*?)${S}\\.\\.\\.${S}Testing against Django installed in ([\\s\\S]*?) silenced\\)\\.\\nok${EOL}`, 'g'),
  new RegExp(`${BOL}(${DOT}*?)${S}\\.\\.\\.${S}Internal Server Error: \\/(${DOT}*)\\/\\nok${EOL}`, 'g'),
  new RegExp(`${BOL}(${DOT}*?)${S}\\.\\.\\.${S}System check identified no issues \\(0 silenced\\)\\nok${EOL}`, 'g'),
];

/** `FAIL: name (mod.Class)` → "name": Python's line.split()[1], which raises on a line of one word. */
function blockName(line: string, lineNo: number): string {
  const words = pySplit(line);
  if (words.length < 2) throw new ParserCrash(`parse_log_django raises IndexError on line ${lineNo} (${JSON.stringify(line.slice(0, 80))})`);
  return words[1];
}

export function parseLogDjango(log: string): StatusMap {
  const map: StatusMap = new Map();
  let prevTest: string | null = null;
  log.split('\n').forEach((raw, i) => {
    let line = pyStrip(raw);
    if (line.includes(VERSION_TEST)) map.set(VERSION_TEST, 'PASSED');
    if (line.includes(' ... ')) prevTest = line.split(' ... ')[0];
    for (const suffix of PASS_SUFFIXES) {
      if (!line.endsWith(suffix)) continue;
      if (line.startsWith(MIGRATION_RUN_IN)) {
        const at = line.indexOf('...');
        line = pyStrip(line.slice(at + 3));
      }
      map.set(beforeLast(line, suffix), 'PASSED');
      break;
    }
    if (line.includes(' ... skipped')) map.set(line.split(' ... skipped')[0], 'SKIPPED');
    if (line.endsWith(' ... FAIL')) map.set(line.split(' ... FAIL')[0], 'FAILED');
    if (line.startsWith('FAIL:')) map.set(blockName(line, i + 1), 'FAILED');
    if (line.endsWith(' ... ERROR')) map.set(line.split(' ... ERROR')[0], 'ERROR');
    if (line.startsWith('ERROR:')) map.set(blockName(line, i + 1), 'ERROR');
    // The test passed with output between its "..." and the "ok" (which may start a longer word, as in Python).
    if (line.startsWith('ok') && prevTest !== null) map.set(prevTest, 'PASSED');
  });
  for (const pattern of INTERRUPTED_OK) {
    for (const m of log.matchAll(pattern)) map.set(m[1], 'PASSED');
  }
  return map;
}
