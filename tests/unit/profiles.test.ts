import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { applyOverrides, listProfileFiles, loadProfile, parseProfile } from '../../src/profiles.js';

const GiB = 1024 ** 3;

function profileFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, content);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('built-in profiles', () => {
  it('has small, default, large and unlimited with the documented limits', () => {
    const names = listProfileFiles().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['small', 'default', 'large', 'unlimited']));
    const small = loadProfile('small');
    expect([small.memoryBytes, small.memorySwapBytes, small.cpus]).toEqual([2 * GiB, 2 * GiB, 1]);
    const def = loadProfile('default');
    expect([def.memoryBytes, def.cpus]).toEqual([4 * GiB, 2]);
    const large = loadProfile('large');
    expect([large.memoryBytes, large.cpus]).toEqual([8 * GiB, 4]);
    const unlimited = loadProfile('unlimited');
    expect([unlimited.memoryBytes, unlimited.memorySwapBytes, unlimited.cpus, unlimited.pidsLimit]).toEqual([null, null, null, null]);
  });
});

describe('parseProfile', () => {
  it('defaults memory-swap to memory so swap cannot hide an overrun', () => {
    const p = parseProfile({ memory: '512m' }, 'x.yaml');
    expect(p.memorySwapBytes).toBe(512 * 1024 ** 2);
  });

  it('names the file, the key and what is expected; exit code 2', () => {
    const unknown = configError(() => loadProfile(profileFile('memory: 2g\nmemroy: 3g\n')));
    expect(unknown.message).toMatch(/p\.yaml.*unknown key "memroy"/);
    expect(unknown.exitCode).toBe(2);
    const lots = configError(() => loadProfile(profileFile('memory: lots\n')));
    expect(lots.message).toMatch(/p\.yaml: key "memory" must be a size such as 512m/);
    expect(lots.message).toContain('"lots"');
    const negative = configError(() => loadProfile(profileFile('cpus: -2\n')));
    expect(negative.message).toMatch(/key "cpus" must be a positive number/);
    const badTimeout = configError(() => loadProfile(profileFile('timeout: soon\n')));
    expect(badTimeout.message).toMatch(/key "timeout" must be a duration/);
    const swap = configError(() => loadProfile(profileFile('memory: 2g\nmemory-swap: 1g\n')));
    expect(swap.message).toMatch(/memory-swap/);
    expect(configError(() => loadProfile(profileFile('- a list\n'))).message).toMatch(/expected a mapping/);
    expect(configError(() => loadProfile(profileFile('memory: [\n'))).message).toMatch(/not valid YAML/);
  });

  it('reports an unknown profile name with the known ones', () => {
    expect(configError(() => loadProfile('nosuch')).message).toMatch(/no profile "nosuch" \(known: .*small/);
  });
});

describe('applyOverrides', () => {
  it('lets flags replace profile values and keeps swap equal to a new memory', () => {
    const p = applyOverrides(loadProfile('small'), { memory: '256m', cpus: '0.5', timeout: '90s' });
    expect(p.memoryBytes).toBe(256 * 1024 ** 2);
    expect(p.memorySwapBytes).toBe(256 * 1024 ** 2);
    expect(p.cpus).toBe(0.5);
    expect(p.timeoutMs).toBe(90_000);
    expect(p.pidsLimit).toBe(4096);
  });

  it('validates flags with the profile rules', () => {
    expect(configError(() => applyOverrides(loadProfile('small'), { cpus: '-1' })).message).toMatch(/command line: key "cpus"/);
  });
});

const MiB = 1024 ** 2;

describe('soft limits and schedules', () => {
  it('reads memory-high, memory-low (or memory-reservation) and cpu-weight', () => {
    const p = parseProfile({ memory: '2g', 'memory-high': '1500m', 'memory-low': '512m', 'cpu-weight': 200 }, 'x.yaml');
    expect([p.memoryHighBytes, p.memoryLowBytes, p.cpuWeight]).toEqual([1500 * MiB, 512 * MiB, 200]);
    expect(parseProfile({ 'memory-reservation': '1g' }, 'x.yaml').memoryLowBytes).toBe(GiB);
    expect(parseProfile({}, 'x.yaml')).toMatchObject({ memoryHighBytes: null, memoryLowBytes: null, cpuWeight: null, schedule: [] });
  });

  it('rejects soft limits above memory, a weight out of range, and both names of memory-low', () => {
    expect(configError(() => parseProfile({ memory: '1g', 'memory-high': '2g' }, 'x.yaml')).message).toMatch(/x\.yaml: key "memory-high" must be at most memory \(1\.0 GiB\)/);
    expect(configError(() => parseProfile({ memory: '1g', 'memory-low': '2g' }, 'x.yaml')).message).toMatch(/key "memory-low" must be at most memory/);
    expect(configError(() => parseProfile({ 'cpu-weight': 0 }, 'x.yaml')).message).toMatch(/key "cpu-weight" must be a whole number from 1 to 10000/);
    expect(configError(() => parseProfile({ 'cpu-weight': 2.5 }, 'x.yaml')).message).toMatch(/cpu-weight/);
    expect(configError(() => parseProfile({ 'memory-low': '1g', 'memory-reservation': '1g' }, 'x.yaml')).message).toMatch(/memory-reservation.*another name of memory-low/);
  });

  it('reads a schedule of limit changes, in time order; "unlimited" removes a limit', () => {
    const p = loadProfile(profileFile('memory: 4g\ntimeout: 1h\nschedule:\n  - { after: 10m, memory: 2g, memory-high: 1500m }\n  - { after: 90s, cpus: 0.5 }\n  - { after: 20m, memory-high: unlimited }\n'));
    expect(p.schedule).toEqual([
      { afterMs: 90_000, change: { cpus: 0.5 } },
      { afterMs: 600_000, change: { memoryBytes: 2 * GiB, memoryHighBytes: 1500 * MiB } },
      { afterMs: 1_200_000, change: { memoryHighBytes: null } },
    ]);
  });

  it('names the step and key of a bad schedule', () => {
    const bad = (schedule: unknown) => configError(() => parseProfile({ timeout: '30m', schedule }, 'x.yaml')).message;
    expect(bad('soon')).toMatch(/key "schedule" must be a list of steps/);
    expect(bad([{ after: 'later', memory: '1g' }])).toMatch(/key "schedule\[0\]\.after" must be a duration/);
    expect(bad([{ after: '5m', memroy: '1g' }])).toMatch(/unknown key "schedule\[0\]\.memroy"/);
    expect(bad([{ after: '5m' }])).toMatch(/schedule\[0\]" must be at least one limit to change/);
    expect(bad([{ after: '45m', memory: '1g' }])).toMatch(/schedule\[0\]\.after" must be less than the timeout/);
    expect(bad([{ after: '5m', memory: 'lots' }])).toMatch(/schedule\[0\]\.memory" must be a size/);
  });

  it('takes --memory-high, --memory-low and --cpu-weight, checked against the (new) memory', () => {
    const p = applyOverrides(loadProfile('small'), { memoryHigh: '1500m', memoryLow: '256m', cpuWeight: '50' });
    expect([p.memoryHighBytes, p.memoryLowBytes, p.cpuWeight]).toEqual([1500 * MiB, 256 * MiB, 50]);
    expect(configError(() => applyOverrides(loadProfile('small'), { memoryHigh: '3g' })).message).toMatch(/command line: key "memory-high" must be at most memory \(2\.0 GiB\)/);
    expect(configError(() => applyOverrides(p, { memory: '1g' })).message).toMatch(/command line: key "memory-high" must be at most memory/);
  });
});
