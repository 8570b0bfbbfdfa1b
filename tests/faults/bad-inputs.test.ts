// Bad inputs get one clear line on stderr and an exit code other than 0, and leave nothing half-written:
// the data dir holds exactly what it held before, byte for byte.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, isRoot, repoRoot, testUser, userTempDir } from '../helpers/user.js';

const FIXTURE_TRACE = join(repoRoot, 'traces', 'fixtures', 'cli', '00000000-0000-4000-8000-00000000f1c5.jsonl');

let api: { server: MockApiServer; env: Record<string, string> };
let workdir: string;

beforeAll(async () => {
  api = await startScriptedApi(`turns:\n  - content:\n      - { type: text, text: "Done." }\n`);
  workdir = userTempDir('agentpod-faults-work-');
});

afterAll(async () => {
  await api?.server.close();
});

/** Every file under dir with a hash of its bytes: equal snapshots mean nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(dir, name);
    out[name] = statSync(path).isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

/** Writes a file the test user owns (and so may write). */
function writeUserFile(path: string, data: string | Buffer): string {
  writeFileSync(path, data);
  if (isRoot) chownSync(path, testUser.uid, testUser.gid);
  return path;
}

/** A database agentpod made itself, with the fixture trace in it. */
async function validDatabase(dir: string): Promise<string> {
  const db = join(dir, 'agentpod.db');
  const r = await agentpod(['ingest', '--db', db, FIXTURE_TRACE]);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  // Fold the WAL into the file so the snapshot sees the whole database in one file.
  const handle = new Database(db);
  handle.pragma('wal_checkpoint(TRUNCATE)');
  handle.close();
  return db;
}

interface BadInput {
  name: string;
  /** Prepares the data dir; returns the agentpod arguments and extra environment. */
  setup(dataDir: string): Promise<{ args: string[]; env?: Record<string, string> }> | { args: string[]; env?: Record<string, string> };
  /** A pattern the one error line must match. */
  says: RegExp;
  exitCode?: number;
}

const run = (dataDir: string, ...args: string[]) => ['run', '--data-dir', dataDir, '--workdir', workdir, ...args];

function profileFile(dataDir: string, text: string): string {
  // Outside the data dir: the profile is the user's file, the data dir must stay untouched.
  const file = join(workdir, `profile-${createHash('sha1').update(dataDir + text).digest('hex').slice(0, 8)}.yaml`);
  writeFileSync(file, text);
  return file;
}

const CASES: BadInput[] = [
  ...[
    ['YAML syntax error', 'memory: [2g\n'],
    ['a value that is not a size', 'memory: lots\n'],
    ['an unknown key', 'memroy: 2g\n'],
    ['a list instead of a mapping', '- memory: 2g\n'],
  ].map(([what, text]): BadInput => ({
    name: `profile file with ${what}`,
    setup: (dataDir) => {
      const file = profileFile(dataDir, text);
      return { args: run(dataDir, '--profile', file, 'hello') };
    },
    says: /profile .*profile-\w+\.yaml/,
    exitCode: 2,
  })),
  {
    name: 'unknown image',
    setup: (dataDir) => ({ args: run(dataDir, '--image', 'localhost/agentpod/no-such-image:1', 'hello') }),
    says: /image localhost\/agentpod\/no-such-image:1 not found/,
  },
  {
    name: 'missing podman',
    setup: (dataDir) => ({ args: run(dataDir, 'hello'), env: { AGENTPOD_PODMAN: '/nonexistent/podman' } }),
    says: /podman/,
  },
  {
    name: 'prompt file missing',
    setup: (dataDir) => ({ args: run(dataDir, '--prompt-file', join(dataDir, 'no-such-prompt.md')) }),
    says: /--prompt-file .*no-such-prompt\.md: cannot read: ENOENT/,
    exitCode: 2,
  },
  ...[['0', '0'], ['-5', '-5'], ['below what the sampler can hold', '5'], ['not a number', 'often']].map(
    ([what, value]): BadInput => ({
      name: `a sampling interval: ${what}`,
      setup: (dataDir) => ({ args: run(dataDir, '--sample-interval', value, 'hello') }),
      says: /--sample-interval must be a number of milliseconds >= 10/,
      exitCode: 2,
    }),
  ),
  {
    name: 'a prompt with a NUL byte (no argv element can carry it)',
    setup: (dataDir) => {
      const file = join(workdir, 'nul-prompt.md');
      writeFileSync(file, 'fix the bug\0 and nothing else');
      return { args: run(dataDir, '--prompt-file', file) };
    },
    says: /nul-prompt\.md contains a NUL byte \(character 12 of/,
    exitCode: 2,
  },
  ...['localhost/Agentpod/base:1', 'my image:1', 'alpine:-1'].map(
    (image): BadInput => ({
      name: `an image reference podman would reject: ${image}`,
      setup: (dataDir) => ({ args: run(dataDir, '--image', image, 'hello') }),
      says: /--image .* is not an image reference podman accepts/,
      exitCode: 2,
    }),
  ),
  ...[
    ['a value outside the choices', ['--share', 'wide', 'hello'], /Invalid values.*share.*wide.*\(see agentpod run --help\)/],
    ['an unknown flag', ['--bogus-flag', 'hello'], /Unknown argument.*bogus-flag.*\(see agentpod run --help\)/],
    ['a flag without its value', ['hello', '--memory'], /Not enough arguments following: memory \(see agentpod run --help\)/],
  ].map(
    ([what, flags, says]): BadInput => ({
      name: `a parser error, one line and a pointer to --help: ${what as string}`,
      setup: (dataDir) => ({ args: run(dataDir, ...(flags as string[])) }),
      says: says as RegExp,
      exitCode: 2,
    }),
  ),
  ...(['run', 'ingest'] as const).map(
    (command): BadInput => ({
      name: `${command} with a database file that is not SQLite`,
      setup: (dataDir) => {
        const db = writeUserFile(join(dataDir, 'agentpod.db'), Buffer.concat([Buffer.from('not a database\n'), Buffer.alloc(8192, 0x5a)]));
        return { args: command === 'run' ? run(dataDir, '--db', db, 'hello') : ['ingest', '--db', db, FIXTURE_TRACE] };
      },
      says: /agentpod\.db.*not a database/,
    }),
  ),
  ...(['run', 'ingest'] as const).map(
    (command): BadInput => ({
      name: `${command} with a read-only database file`,
      setup: async (dataDir) => {
        const db = await validDatabase(dataDir);
        chmodSync(db, 0o444);
        const other = writeUserFile(join(dataDir, 'other.jsonl'), readFileSync(FIXTURE_TRACE));
        return { args: command === 'run' ? run(dataDir, '--db', db, 'hello') : ['ingest', '--db', db, other] };
      },
      says: /agentpod\.db.*read-?only/i,
    }),
  ),
];

describe('bad inputs: one clear error, exit != 0, nothing half-written', () => {
  for (const c of CASES) it(c.name, async () => {
    const dataDir = userTempDir('agentpod-faults-bad-');
    const { args, env } = await c.setup(dataDir);
    const before = snapshot(dataDir);
    const r = await agentpod(args, { env: { ...api.env, ...env } });
    const stderr = String(r.stderr).trim();
    expect(r.exitCode, stderr).not.toBe(0);
    if (c.exitCode !== undefined) expect(r.exitCode, stderr).toBe(c.exitCode);
    expect(stderr.split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(stderr).toMatch(/^agentpod: /);
    expect(stderr).not.toMatch(/internal error/);
    expect(stderr).toMatch(c.says);
    expect(snapshot(dataDir), 'the data dir changed').toEqual(before);
  });
});

describe('a trace file with binary garbage', () => {
  it('ingests every good line, records the garbage, says so in one line and exits != 0', async () => {
    const dataDir = userTempDir('agentpod-faults-garbage-');
    const good = readFileSync(FIXTURE_TRACE, 'utf8').split('\n').filter(Boolean);
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0d, 0x80, 0x81, 0x00, 0x1b, 0x5b]);
    // Good lines with a garbage line between them, and a garbage line at the end.
    const trace = writeUserFile(
      join(dataDir, 'garbage.jsonl'),
      Buffer.concat([Buffer.from(`${good.slice(0, 5).join('\n')}\n`), garbage, Buffer.from(`\n${good.slice(5).join('\n')}\n`), garbage, Buffer.from('\n')]),
    );
    const db = join(dataDir, 'agentpod.db');
    const r = await agentpod(['ingest', '--db', db, trace]);
    const stderr = String(r.stderr).trim();
    expect(r.exitCode, stderr).not.toBe(0);
    expect(stderr.split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(stderr).not.toMatch(/internal error/);
    expect(stderr).toMatch(/2 .*(malformed|bad|error)/i);
    const handle = new Database(db, { readonly: true });
    try {
      expect(handle.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(good.length);
      expect(handle.prepare('SELECT line_no FROM ingest_errors ORDER BY line_no').pluck().all()).toEqual([6, good.length + 2]);
    } finally {
      handle.close();
    }
  });
});
