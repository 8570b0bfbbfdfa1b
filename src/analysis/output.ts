// Query results as a terminal table (human units, fitted to the width), CSV (RFC 4180) or JSON (raw values).
import { formatBytes, formatDuration } from '../units.js';

export type Cell = string | number | bigint | Buffer | null;
export type Row = Record<string, Cell>;

/**
 * How a column's raw value reads to a human: bytes, ms (a duration), time (epoch ms), fraction (0..1, shown
 * as %), decimal, int, text; number (whatever the unit its row names: four significant digits); raw for SQL
 * results whose meaning is unknown.
 */
export type ColumnKind = 'text' | 'int' | 'decimal' | 'number' | 'bytes' | 'ms' | 'time' | 'fraction' | 'raw';

export interface Column {
  key: string;
  kind: ColumnKind;
  /** What the value is, for docs and --list. */
  about: string;
  /** Left out of a terminal table too narrow for every column (always in --json and --csv). */
  optional?: boolean;
}

function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A cell as a person reads it. */
export function humanCell(value: Cell, kind: ColumnKind): string {
  if (value === null) return kind === 'raw' ? 'NULL' : '-';
  if (Buffer.isBuffer(value)) return `<${value.length}-byte blob>`;
  if (typeof value === 'string' || typeof value === 'bigint' || kind === 'text' || kind === 'raw' || kind === 'int') return String(value);
  switch (kind) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return formatDuration(value);
    case 'time':
      return formatTime(value);
    case 'fraction':
      return `${(value * 100).toFixed(1)}%`;
    case 'number':
      return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
    case 'decimal': // two decimals, or two significant digits below 1 (0.0037 CPU seconds is not 0.00)
      return Math.abs(value) >= 1 || value === 0 ? value.toFixed(2) : value.toPrecision(2);
  }
}

/** Numbers read right-aligned and are never cut. */
export const isNumeric = (kind: ColumnKind) => kind !== 'text' && kind !== 'time' && kind !== 'raw';
const rightAligned = (value: Cell, kind: ColumnKind) => isNumeric(kind) || (kind === 'raw' && (typeof value === 'number' || typeof value === 'bigint'));

const length = (s: string) => [...s].length;

/** Shortens to `width` characters, ending in … when cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Shortens a header, keeping a short last part that tells columns apart (`peak_memory_p95` → `peak…p95`). */
export function truncateHeader(key: string, width: number): string {
  const last = key.slice(key.lastIndexOf('_') + 1);
  if (length(key) <= width || last.length > 3 || last === key || width < last.length + 2) return truncate(key, width);
  return `${truncate(key.slice(0, key.length - last.length), width - last.length)}${last}`;
}

const GAP = 2;
const MIN_TEXT_WIDTH = 8;
const tableWidth = (widths: number[]) => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);

/**
 * Narrows columns one character at a time until the widths fit: first the widest of the `first` columns
 * above its minimum, then the widest of any.
 */
export function fitWidths(natural: number[], minimum: number[], maxWidth: number, first: boolean[] = natural.map(() => true)): number[] {
  const widths = [...natural];
  const widest = (onlyFirst: boolean) => {
    let found = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i] > minimum[i] && (!onlyFirst || first[i]) && (found < 0 || widths[i] > widths[found])) found = i;
    }
    return found;
  };
  while (tableWidth(widths) > maxWidth) {
    const i = widest(true) >= 0 ? widest(true) : widest(false);
    if (i < 0) break;
    widths[i]--;
  }
  return widths;
}

/**
 * A plain-text table in human units, fitted to `maxWidth` (Infinity: output to a pipe or file, nothing cut).
 * When the columns do not fit, optional columns are left out, last first, until they do or none is left (a
 * last line says which); then text columns are narrowed and cut with …, then number headers. Numbers are never cut.
 */
export function formatTable(rows: Row[], columns: Column[], maxWidth = Infinity): string {
  const oneLine = (s: string) => s.replace(/\s+/g, ' ');
  const allCells = rows.map((row) => columns.map((c) => oneLine(humanCell(row[c.key] ?? null, c.kind))));
  const widest = columns.map((_, i) => Math.max(0, ...allCells.map((r) => length(r[i]))));
  const natural = columns.map((c, i) => Math.max(length(c.key), widest[i]));
  let shown = columns.map((_, i) => i);
  for (let i = columns.length - 1; i >= 0 && tableWidth(shown.map((j) => natural[j])) > maxWidth; i--) {
    if (columns[i].optional) shown = shown.filter((j) => j !== i);
  }
  const numeric = shown.map((i) => isNumeric(columns[i].kind));
  const minimum = shown.map((i, k) => (numeric[k] ? Math.max(3, widest[i]) : Math.min(natural[i], MIN_TEXT_WIDTH)));
  const widths = fitWidths(shown.map((i) => natural[i]), minimum, maxWidth, numeric.map((n) => !n));
  const pad = (text: string, k: number, right: boolean) => {
    const fill = ' '.repeat(widths[k] - length(text));
    return right ? fill + text : text + fill;
  };
  const header = shown.map((i, k) => pad(truncateHeader(columns[i].key, widths[k]), k, numeric[k])).join(' '.repeat(GAP)).trimEnd();
  const body = allCells.map((cells, r) =>
    shown.map((i, k) => pad(truncate(cells[i], widths[k]), k, rightAligned(rows[r][columns[i].key] ?? null, columns[i].kind))).join(' '.repeat(GAP)).trimEnd(),
  );
  const omitted = columns.filter((_, i) => !shown.includes(i)).map((c) => c.key);
  const note = omitted.length ? [`(left out to fit the terminal: ${omitted.join(', ')}; --json or --csv have every column)`] : [];
  return `${[header, ...body, ...note].join('\n')}\n`;
}

/** A raw value for CSV and JSON: numbers stay numbers, blobs become base64. */
function rawValue(value: Cell): string | number | null {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

export function csvField(value: Cell): string {
  const v = rawValue(value);
  if (v === null) return '';
  const text = String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: a header line, CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled. */
export function formatCsv(rows: Row[], keys: string[]): string {
  const line = (fields: Cell[]) => `${fields.map(csvField).join(',')}\r\n`;
  return line(keys) + rows.map((row) => line(keys.map((k) => row[k] ?? null))).join('');
}

export function formatJson(rows: Row[], keys: string[]): string {
  return `${JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((k) => [k, rawValue(row[k] ?? null)]))), null, 2)}\n`;
}

export type OutputFormat = 'table' | 'csv' | 'json';

export function formatRows(rows: Row[], columns: Column[], format: OutputFormat, maxWidth = Infinity): string {
  const keys = columns.map((c) => c.key);
  if (format === 'csv') return formatCsv(rows, keys);
  if (format === 'json') return formatJson(rows, keys);
  return formatTable(rows, columns, maxWidth);
}
