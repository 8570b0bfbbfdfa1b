// The harness's parse_log_seaborn (v5 log_parsers/python.py): only passes and failures, from `FAILED x`,
// `x PASSED [ 50%]` (verbose progress) and `PASSED x` lines. ERROR, SKIPPED and XFAIL are never recorded, so an
// xfailing or erroring listed test is missing from the map (and so failed).
import { pySplit } from '../python-text.js';
import type { StatusMap } from '../status.js';

export function parseLogSeaborn(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const line of log.split('\n')) {
    const words = pySplit(line);
    if (words.length < 2) continue;
    if (line.startsWith('FAILED')) map.set(words[1], 'FAILED');
    else if (line.includes(' PASSED ')) {
      // As the harness: a line with " PASSED " inside is never read as a `PASSED x` line.
      if (words[1] === 'PASSED') map.set(words[0], 'PASSED');
    } else if (line.startsWith('PASSED')) map.set(words[1], 'PASSED');
  }
  return map;
}
