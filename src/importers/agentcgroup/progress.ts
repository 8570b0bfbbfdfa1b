// The import's texts: a progress bar for a terminal, plain per-data-set lines otherwise, one closing line.
import { formatDuration } from '../../units.js';
import type { DataSetSummary, ImportProgress, ImportSummary } from './index.js';

const BAR_WIDTH = 24;

export function formatProgressBar(p: ImportProgress, width = 100): string {
  const filled = p.attemptsTotal ? Math.round((p.attemptsDone / p.attemptsTotal) * BAR_WIDTH) : BAR_WIDTH;
  const line = `${p.dataSet} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${p.attemptsDone}/${p.attemptsTotal} ${p.current}`;
  return line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
}

export function formatDataSetLine(d: DataSetSummary): string {
  return `${d.batchId}: ${d.attempts} attempts in ${d.dir}, ${d.imported} imported${d.alreadyImported ? `, ${d.alreadyImported} already imported` : ''}`;
}

const listed = (what: string, items: string[]) => (items.length ? `; ${items.length} ${what} (${items.join(', ')})` : '');

/** Everything in one line: counts, the self-check, and every missing or malformed file by name. */
export function formatClosingLine(s: ImportSummary): string {
  const sets = s.dataSets.map((d) => d.batchId).join(', ');
  return [
    `imported ${s.imported} run(s) (${s.failedStarts} failed start(s)) of ${s.attempts} attempt(s) in ${s.dataSets.length} data set(s) [${sets}]`,
    s.alreadyImported ? `, ${s.alreadyImported} already imported` : '',
    `: ${s.samples} samples, ${s.tracesIngested} trace(s) ingested, ${s.windowsFromToolCalls} run(s) with tool windows from tool_calls.json`,
    `; self-check: ${s.selfCheck.checked - s.selfCheck.mismatches.length}/${s.selfCheck.checked} summaries reproduced`,
    listed('mismatch(es)', s.selfCheck.mismatches),
    listed('missing file(s)', s.missing),
    listed('malformed file(s)', s.malformed),
    listed('attempt(s) not imported', s.skipped),
    listed('note(s)', s.notes),
    ` in ${formatDuration(s.durationMs)}`,
  ].join('');
}
