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
