// How messages.raw keeps a line: as is when short, deflate-raw when long (where compressing pays for
// its time: per-line deflate of short lines costs more than it saves).
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const DEFLATE_FROM_BYTES = 4096;

export function encodeRawLine(bytes: Buffer): { raw: Buffer; deflated: 0 | 1 } {
  if (bytes.length < DEFLATE_FROM_BYTES) return { raw: bytes, deflated: 0 };
  return { raw: deflateRawSync(bytes, { level: 1 }), deflated: 1 };
}

/** The original line text of a messages row. */
export function decodeRawLine(row: { raw: Buffer; raw_deflated: number }): string {
  return (row.raw_deflated ? inflateRawSync(row.raw) : row.raw).toString('utf8');
}
