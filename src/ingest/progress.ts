// One-line texts for an ingest: progress (on a TTY, rewritten in place) and the final summary.
import { formatBytes, formatDuration } from '../units.js';
import type { IngestProgress, IngestSummary } from './index.js';

const rate = (bytes: number, ms: number) => (ms > 0 ? `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s` : '- MB/s');

export function formatProgress(p: IngestProgress): string {
  return `files ${p.filesDone}/${p.filesTotal}  lines ${p.lines}  ${formatBytes(p.bytes)}  ${rate(p.bytes, p.elapsedMs)}`;
}

export function formatSummary(s: IngestSummary): string {
  const parts = [
    `${s.filesSeen} files (${s.filesParsed} parsed, ${s.filesSkipped} unchanged`,
    s.filesReread ? `, ${s.filesReread} re-read` : '',
    s.filesMissing ? `, ${s.filesMissing} gone` : '',
    s.filesBusy ? `, ${s.filesBusy} left to another ingest` : '',
    `), ${s.lines} lines, ${formatBytes(s.bytes)} in ${formatDuration(s.durationMs)} (${rate(s.bytes, s.durationMs)})`,
    s.errors ? `, ${s.errors} malformed lines (see ingest_errors)` : '',
  ];
  return parts.join('');
}

/** Calls `write` at most every `everyMs` (progress lines are cheap to drop). */
export function throttled<T>(write: (v: T) => void, everyMs = 200): (v: T) => void {
  let last = 0;
  return (v) => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    write(v);
  };
}
