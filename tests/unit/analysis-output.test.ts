import { describe, expect, it } from 'vitest';
import { csvField, fitWidths, formatCsv, formatJson, formatTable, humanCell, truncate, truncateHeader, type Column } from '../../src/analysis/output.js';
import { parseSince } from '../../src/analysis/filter.js';

const columns: Column[] = [
  { key: 'tool', kind: 'text', about: '' },
  { key: 'peak', kind: 'bytes', about: '' },
  { key: 'p50_ms', kind: 'ms', about: '' },
  { key: 'rate', kind: 'fraction', about: '' },
];

describe('CSV (RFC 4180)', () => {
  it('quotes fields with a comma, a quote or a line break, doubling quotes; CRLF line ends; NULL is empty', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(0.25)).toBe('0.25');
    expect(formatCsv([{ tool: 'Bash', peak: 1048576, p50_ms: 12, rate: null }], ['tool', 'peak', 'p50_ms', 'rate'])).toBe('tool,peak,p50_ms,rate\r\nBash,1048576,12,\r\n');
  });
});

describe('JSON', () => {
  it('is an array of objects with raw numbers, in column order', () => {
    expect(JSON.parse(formatJson([{ rate: 0.5, tool: 'Read', extra: 1 }], ['tool', 'rate']))).toEqual([{ tool: 'Read', rate: 0.5 }]);
  });
});

describe('terminal table', () => {
  const rows = [{ tool: 'Bash: pytest -x tests/test_something_long.py', peak: 300 * 1024 * 1024, p50_ms: 1500, rate: 0.25 }];

  it('shows human units and right-aligns numbers', () => {
    const lines = formatTable(rows, columns).split('\n');
    expect(lines[0]).toMatch(/^tool\s+peak\s+p50_ms\s+rate$/);
    expect(lines[1]).toContain('300 MiB');
    expect(lines[1]).toContain('1.5s');
    expect(lines[1]).toMatch(/25\.0%$/);
    expect(humanCell(null, 'bytes')).toBe('-');
    expect(humanCell(null, 'raw')).toBe('NULL');
  });

  it('fits the width by narrowing the widest text column, cutting cells with … and never numbers', () => {
    const text = formatTable(rows, columns, 40);
    for (const line of text.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(40);
    expect(text).toContain('Bash: pytest -x…');
    expect(text).toContain('300 MiB');
    expect(fitWidths([30, 5, 5], [6, 5, 5], 20)).toEqual([6, 5, 5]);
    expect(fitWidths([30, 9, 5], [6, 7, 5], 20)).toEqual([6, 7, 5]); // stops at the minimums, 22 wide
    expect(fitWidths([3, 3], [3, 3], 2)).toEqual([3, 3]);
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncateHeader('peak_memory_p95', 9)).toBe('peak_…p95'); // the part that tells p50, p95, max apart stays
    expect(truncateHeader('peak_memory_bytes', 9)).toBe('peak_mem…');
  });

  it('leaves the optional columns out when the table does not fit, and says so', () => {
    const withOptional: Column[] = [...columns, { key: 'tool_use_id', kind: 'text', about: '', optional: true }];
    const wide = [{ ...rows[0], tool_use_id: 'toolu_0123456789abcdef' }];
    expect(formatTable(wide, withOptional)).toContain('toolu_0123456789abcdef');
    const narrow = formatTable(wide, withOptional, 60);
    expect(narrow).not.toContain('toolu_');
    expect(narrow.trimEnd().split('\n').at(-1)).toBe('(left out to fit the terminal: tool_use_id; --json or --csv have every column)');
  });

  it('puts a multi-line command on one line', () => {
    expect(formatTable([{ tool: 'a\nb', peak: null, p50_ms: null, rate: null }], columns)).toContain('a b');
  });
});

describe('--since', () => {
  const now = Date.UTC(2026, 4, 10, 12, 0, 0);
  it('takes a date or a time ago', () => {
    expect(parseSince('2026-05-01', now)).toBe(Date.UTC(2026, 4, 1));
    expect(parseSince('2026-05-01T12:00:00Z', now)).toBe(Date.UTC(2026, 4, 1, 12));
    expect(parseSince('24h', now)).toBe(now - 86_400_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('90m', now)).toBe(now - 90 * 60_000);
    expect(() => parseSince('yesterday', now)).toThrow(/--since/);
  });
});
