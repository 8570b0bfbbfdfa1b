// Start-up stays light: the commands people type most (--version, --help, profiles, sql, query) load only what
// they use. Each case runs the built CLI with loader hooks that list every module it loads, and fails when a
// heavy one (the database, podman, the sampler, execa, systeminformation, ...) is among them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/user.js';

const REGISTER = join(repoRoot, 'tests', 'helpers', 'module-trace', 'register.mjs');
const FIXTURE_TRACE = join(repoRoot, 'traces', 'fixtures', 'cli', '00000000-0000-4000-8000-00000000f1c5.jsonl');

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-startup-'));
  db = join(dir, 'agentpod.db');
  const r = await execa(process.execPath, [cliPath, 'ingest', '--db', db, FIXTURE_TRACE], { reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules one CLI invocation loads: agentpod's own as paths below dist/, packages by name. */
async function modulesLoaded(args: string[]): Promise<string[]> {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const r = await execa(process.execPath, ['--import', REGISTER, cliPath, ...args], { reject: false, env: { AGENTPOD_MODULE_TRACE: trace } });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const urls = readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith('file://'));
  return [...new Set(urls.map((u) => (u.includes('/node_modules/') ? `pkg:${u.split('/node_modules/').pop()!.split('/')[0]}` : u.split('/dist/').pop()!)))].sort();
}

const HEAVY_PACKAGES = ['better-sqlite3', 'execa', 'systeminformation', 'yaml', 'chokidar'];
const HEAVY_DIRS = ['db/', 'podman/', 'sampler/', 'ingest/', 'run/', 'swebench/', 'batch/', 'report/', 'analysis/', 'mockapi/', 'demo/', 'replay/'];

function heavyIn(modules: string[], allowed: string[]): string[] {
  return modules.filter((m) => {
    if (allowed.some((a) => m === a || m.startsWith(a) || m === `pkg:${a}`)) return false;
    return HEAVY_PACKAGES.some((p) => m === `pkg:${p}`) || HEAVY_DIRS.some((d) => m.startsWith(d)) || ['doctor.js', 'profiles.js', 'as-user.js'].includes(m);
  });
}

describe('start-up loads only what the command uses', () => {
  it('--version loads nothing but the entry point and its two helpers', async () => {
    expect(await modulesLoaded(['--version'])).toEqual(['cli.js', 'errors.js', 'package-root.js']);
  });

  it('--help and a command\'s --help load no heavy module', async () => {
    const top = await modulesLoaded(['--help']);
    expect(top).toContain('cli-main.js');
    expect(heavyIn(top, [])).toEqual([]);
    expect(heavyIn(await modulesLoaded(['run', '--help']), [])).toEqual([]);
    expect(heavyIn(await modulesLoaded(['replay', '--help']), [])).toEqual([]);
  });

  it('profiles list loads the profile reader and YAML, nothing else heavy', async () => {
    const modules = await modulesLoaded(['profiles', 'list']);
    expect(modules).toContain('profiles.js');
    expect(heavyIn(modules, ['profiles.js', 'yaml'])).toEqual([]);
  });

  it('sql and query runs load the database and the analysis modules, no podman, sampler or execa', async () => {
    const sql = await modulesLoaded(['sql', '--db', db, 'SELECT COUNT(*) FROM messages']);
    expect(sql).toContain('pkg:better-sqlite3');
    expect(heavyIn(sql, ['db/', 'better-sqlite3', 'analysis/'])).toEqual([]);
    const query = await modulesLoaded(['query', 'runs', '--db', db]);
    expect(heavyIn(query, ['db/', 'better-sqlite3', 'analysis/'])).toEqual([]);
  });
});
