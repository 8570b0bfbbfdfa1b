// Ingests one trace file incrementally: skip it when its stat is unchanged, read from the recorded
// offset when it grew, re-read from the start when it was replaced, truncated or rewritten.
import { createHash } from 'node:crypto';
import { statSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { PARSER_VERSION } from './parse.js';
import { parsedBatches } from './parse-pool.js';
import type { FileContext, FilePosition, FileRow, FileStat, LineError, LineRecord, TraceStore } from './store.js';

const HASH_HEAD_BYTES = 4096;
const HASH_TAIL_BYTES = 64 * 1024;

export type FileStatus = 'unchanged' | 'read' | 'reread' | 'missing' | 'busy';

export interface FileOutcome {
  status: FileStatus;
  lines: number;
  bytes: number;
  errors: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUBAGENT_FILE = /^agent-(.+)\.jsonl$/;

/** What a trace file's path says: `<project>/<session>.jsonl` or `<project>/<session>/subagents/agent-<id>.jsonl` (2.1). */
export function fileContext(path: string): FileContext {
  const name = basename(path);
  const agent = SUBAGENT_FILE.exec(name);
  if (agent && basename(dirname(path)) === 'subagents') {
    const sessionDir = dirname(dirname(path));
    const session = basename(sessionDir);
    return { projectDir: dirname(sessionDir), sessionId: UUID.test(session) ? session : null, agentId: agent[1] };
  }
  const stem = name.replace(/\.jsonl$/, '');
  return { projectDir: dirname(path), sessionId: UUID.test(stem) ? stem : null, agentId: null };
}

/**
 * sha256 of the bytes before `offset`: all of them when few, else the first 4 KiB and the last 64 KiB —
 * enough to notice a rewritten file while keeping an append O(new bytes).
 */
export async function prefixHash(file: FileHandle, offset: number): Promise<string> {
  const hash = createHash('sha256');
  const ranges: [number, number][] =
    offset <= HASH_HEAD_BYTES + HASH_TAIL_BYTES ? [[0, offset]] : [[0, HASH_HEAD_BYTES], [offset - HASH_TAIL_BYTES, offset]];
  for (const [start, end] of ranges) {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await file.read(buf, 0, buf.length, start);
    hash.update(buf.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}

function statOf(s: BigIntStats): FileStat {
  return { dev: String(s.dev), ino: String(s.ino), size: Number(s.size), mtimeNs: String(s.mtimeNs) };
}

function unchanged(row: FileRow, s: FileStat): boolean {
  return row.parser_version === PARSER_VERSION && row.size === s.size && row.mtime_ns === s.mtimeNs && row.dev === s.dev && row.ino === s.ino;
}

async function mustReread(row: FileRow, s: FileStat, file: FileHandle): Promise<boolean> {
  if (row.parser_version !== PARSER_VERSION) return true;
  if (row.offset === 0) return false;
  if (row.dev !== s.dev || row.ino !== s.ino || s.size < row.offset) return true;
  return (await prefixHash(file, row.offset)) !== row.prefix_hash;
}

export async function ingestFile(store: TraceStore, path: string, onBatch?: (lines: number, bytes: number) => void): Promise<FileOutcome> {
  const outcome: FileOutcome = { status: 'read', lines: 0, bytes: 0, errors: 0 };
  // Sync: a re-scan is mostly stat calls, and the thread-pool round trip of an async one costs more than the call.
  const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!stats) return { ...outcome, status: 'missing' };
  const fileStat = statOf(stats);
  const known = store.getFile(path);
  if (known && unchanged(known, fileStat)) return { ...outcome, status: 'unchanged' };
  const row = known ?? store.addFile(path, fileContext(path));

  const file = await open(path, 'r');
  try {
    let at: FilePosition = { offset: row.offset, lines: row.lines };
    if (await mustReread(row, fileStat, file)) {
      if (!store.reset(row, at)) return { ...outcome, status: 'busy' };
      at = { offset: 0, lines: 0 };
      row.prefix_hash = null;
      outcome.status = 'reread';
    }
    let records: LineRecord[] = [];
    let errors: LineError[] = [];
    let next = { ...at };
    const commit = async (final: boolean): Promise<boolean> => {
      const prefix = next.offset === at.offset ? row.prefix_hash : await prefixHash(file, next.offset);
      if (!store.commit(row, at, records, errors, { ...next, prefixHash: prefix }, fileStat, final)) return false;
      outcome.lines += next.lines - at.lines;
      outcome.bytes += next.offset - at.offset;
      outcome.errors += errors.length;
      onBatch?.(next.lines - at.lines, next.offset - at.offset);
      row.prefix_hash = prefix;
      at = { ...next };
      return true;
    };

    for await (const batch of parsedBatches(file.fd, at)) {
      ({ records, errors, next } = batch);
      if (!(await commit(!batch.more))) return { ...outcome, status: 'busy' };
    }
    return outcome;
  } finally {
    await file.close();
  }
}
