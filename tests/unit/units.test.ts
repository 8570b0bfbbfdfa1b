import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseBytes, parseDuration } from '../../src/units.js';

describe('parseBytes', () => {
  it('reads binary units as podman does', () => {
    expect(parseBytes('2g')).toBe(2 * 1024 ** 3);
    expect(parseBytes('512m')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes(1024)).toBe(1024);
  });
  it('rejects nonsense, zero and negatives', () => {
    for (const v of ['lots', '', '2x', '-1g', '0', 0, -5, 1.5]) expect(parseBytes(v)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it('reads compound durations and plain seconds', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration(2)).toBe(2000);
  });
  it('rejects nonsense', () => {
    for (const v of ['soon', '10x', '5m soon', '', '-3s', 0]) expect(parseDuration(v)).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it('prints binary units and a dash for unknown', () => {
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(null)).toBe('-');
  });
});

describe('formatDuration', () => {
  it('leaves out zero parts and never shows 60 seconds', () => {
    expect(formatDuration(30 * 60_000)).toBe('30m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(3_900_000)).toBe('1h5m');
    expect(formatDuration(150_000)).toBe('2m30s');
    expect(formatDuration(119_900)).toBe('1m59s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(null)).toBe('-');
  });
});
