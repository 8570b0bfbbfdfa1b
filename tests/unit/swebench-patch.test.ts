import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATCH_GIT_ENV, patchGitCommands, summarizePatch } from '../../src/swebench/patch.js';

const git = (args: string[]) => execFileSync('git', args, { env: { PATH: process.env.PATH, ...PATCH_GIT_ENV }, encoding: 'utf8' });

function write(repo: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, rel)), { recursive: true });
    writeFileSync(join(repo, rel), content);
  }
}

/** A committed repo; returns its path and base commit. */
function repoWith(files: Record<string, string>): { repo: string; base: string } {
  const repo = mkdtempSync(join(tmpdir(), 'patch-'));
  write(repo, files);
  git(['-C', repo, 'init', '-q']);
  git(['-C', repo, 'add', '-A']);
  git(['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'base']);
  return { repo, base: git(['-C', repo, 'rev-parse', 'HEAD']).trim() };
}

/** The patch the capture step's git commands produce, run here on the host. */
function capture(repo: string, base: string): string {
  const [add, diff] = patchGitCommands(repo, base);
  git(add);
  return git(diff);
}

const changedFiles = (patch: string) => [...patch.matchAll(/^diff --git a\/(\S+) /gm)].map((m) => m[1]).sort();

describe('patch capture rules', () => {
  it('takes edits, new untracked files and deletions, and leaves caches and build junk out', () => {
    const { repo, base } = repoWith({ 'src/calc.py': 'a - b\n', 'old.txt': 'gone\n', '.gitignore': '*.log\n' });
    write(repo, {
      'src/calc.py': 'a + b\n',
      'src/new_module.py': 'x = 1\n',
      '__pycache__/calc.cpython-311.pyc': 'junk',
      'src/__pycache__/new_module.cpython-311.pyc': 'junk',
      'src/stray.pyc': 'junk',
      '.pytest_cache/v/cache/nodeids': '[]',
      'calc.egg-info/PKG-INFO': 'junk',
      'src/pkg.egg-info/SOURCES.txt': 'junk',
      'node_modules/left-pad/index.js': 'junk',
      'web/node_modules/x/y.js': 'junk',
      'run.log': 'ignored by .gitignore',
    });
    git(['-C', repo, 'rm', '-q', 'old.txt']);
    const patch = capture(repo, base);
    expect(changedFiles(patch)).toEqual(['old.txt', 'src/calc.py', 'src/new_module.py']);
    expect(patch).toContain('+a + b');
    expect(summarizePatch(Buffer.from(patch))).toEqual({ bytes: Buffer.byteLength(patch), files: 3 });
  });

  it('counts what the agent committed too: the diff is against the base commit, not HEAD', () => {
    const { repo, base } = repoWith({ 'a.py': '1\n' });
    write(repo, { 'a.py': '2\n', 'pkg/__pycache__/a.pyc': 'junk' });
    git(['-C', repo, 'add', '-A']);
    git(['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'agent commit']);
    write(repo, { 'b.py': 'new\n' });
    expect(changedFiles(capture(repo, base))).toEqual(['a.py', 'b.py']);
  });

  it('keeps binary content applicable and is empty when nothing changed', () => {
    const { repo, base } = repoWith({ 'a.py': '1\n' });
    expect(capture(repo, base)).toBe('');
    write(repo, { 'data.bin': Buffer.from([0, 1, 2, 255]) });
    const patch = capture(repo, base);
    expect(patch).toContain('GIT binary patch');
    expect(summarizePatch(Buffer.from(patch)).files).toBe(1);
    expect(summarizePatch(Buffer.alloc(0))).toEqual({ bytes: 0, files: 0 });
  });
});
