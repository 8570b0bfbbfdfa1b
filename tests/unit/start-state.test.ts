// What agentpod records at a plain run's start, from real git work dirs (read-only: no lock, no index refresh).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitStartState } from '../../src/run/start-state.js';

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@x', ...args], { encoding: 'utf8' }).trim();

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-start-'));
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.txt'), 'b\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'one');
  return dir;
}

describe('start state of a host work dir', () => {
  it('is the top-level folder and HEAD of a clean git work tree, from a subfolder too, without touching .git', async () => {
    const dir = repo();
    const head = git(dir, 'rev-parse', 'HEAD');
    const before = readdirSync(join(dir, '.git')).map((f) => `${f}:${statSync(join(dir, '.git', f)).mtimeMs}`);
    expect(await gitStartState(join(dir, 'sub'))).toEqual({ kind: 'git', workdir: join(dir, 'sub'), top: dir, head, changes: 0 });
    expect(readdirSync(join(dir, '.git')).map((f) => `${f}:${statSync(join(dir, '.git', f)).mtimeMs}`)).toEqual(before);
  });

  it('counts uncommitted changes and untracked files', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    writeFileSync(join(dir, 'sub', 'new.txt'), 'new\n');
    expect(await gitStartState(dir)).toMatchObject({ kind: 'git', changes: 2 });
  });

  it('says why there is nothing to recreate', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'agentpod-start-'));
    expect(await gitStartState(plain)).toEqual({ kind: 'none', workdir: plain, reason: 'not a git work tree' });
    git(plain, 'init', '-q');
    expect(await gitStartState(plain)).toEqual({ kind: 'none', workdir: plain, reason: 'a git work tree without a commit' });
  });
});
