// A trace file's complete lines from a position on, parsed and grouped into the batches one commit writes.
// Runs in the parse worker (parse-worker.ts) or, where there is none, in the ingesting thread itself.
import type { FileHandle } from 'node:fs/promises';
import { readCompleteLines } from './lines.js';
import { parseTraceLine } from './parse.js';
import { encodeRawLine } from './raw.js';
import type { FilePosition, LineError, LineRecord } from './store.js';

/** A transaction holds at most about this much: other writers (run samples) wait at most one batch. */
export const BATCH_BYTES = 4 * 1024 * 1024;
export const BATCH_LINES = 10_000;

export interface ParsedBatch {
  records: LineRecord[];
  errors: LineError[];
  /** The position after the batch's last line. */
  next: FilePosition;
  /** False for the batch that ends at the end of the file (the last one, possibly empty). */
  more: boolean;
}

/** Batches of the lines after `from` (offset, lines consumed) of the open file `fd`. */
export function* parseBatches(fd: number, from: FilePosition): Generator<ParsedBatch> {
  let records: LineRecord[] = [];
  let errors: LineError[] = [];
  let next = { ...from };
  let batchBytes = 0;
  for (const item of readCompleteLines({ fd } as FileHandle, from.offset)) {
    const lineNo = next.lines + 1;
    next = { offset: item.end, lines: lineNo };
    batchBytes += item.end - item.start;
    if (item.kind === 'too-long') errors.push({ lineNo, byteOffset: item.start, reason: `line of ${item.end - item.start} bytes is too long to parse` });
    else {
      const text = item.bytes.toString('utf8');
      if (text.trim() === '') continue; // a blank line holds nothing to keep
      const parsed = parseTraceLine(text);
      if (parsed.ok) records.push({ lineNo, byteOffset: item.start, ...encodeRawLine(item.bytes), line: parsed.line });
      else errors.push({ lineNo, byteOffset: item.start, reason: parsed.reason });
    }
    if (batchBytes >= BATCH_BYTES || records.length + errors.length >= BATCH_LINES) {
      yield { records, errors, next, more: true };
      records = [];
      errors = [];
      batchBytes = 0;
    }
  }
  yield { records, errors, next, more: false };
}

/** A batch as it crosses to another thread: every line's raw bytes in one transferable buffer. */
export interface WireBatch extends Omit<ParsedBatch, 'records'> {
  records: (Omit<LineRecord, 'raw'> & { rawAt: number; rawLength: number })[];
  raws: ArrayBuffer;
}

export function toWire(batch: ParsedBatch): WireBatch {
  const raws = new Uint8Array(batch.records.reduce((n, r) => n + r.raw.length, 0));
  let at = 0;
  const records = batch.records.map(({ raw, ...rest }) => {
    raws.set(raw, at);
    at += raw.length;
    return { ...rest, rawAt: at - raw.length, rawLength: raw.length };
  });
  return { ...batch, records, raws: raws.buffer };
}

export function fromWire(wire: WireBatch): ParsedBatch {
  return { ...wire, records: wire.records.map(({ rawAt, rawLength, ...rest }) => ({ ...rest, raw: Buffer.from(wire.raws, rawAt, rawLength) })) };
}
