// The grading driver run for real (bash, git, patch) on a scratch repository standing in for /testbed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverScript, EVAL_FILES, parseDriverStatus } from '../../src/grading/driver.js';
import { patchFiles } from '../../src/grading/eval-script.js';

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });

const LINES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);

function scratch(): { repo: string; evalDir: string; base: string } {
  const root = mkdtempSync(join(tmpdir(), 'agentpod-driver-'));
  const repo = join(root, 'testbed');
  const evalDir = join(root, 'eval');
  mkdirSync(join(repo, 'tests'), { recursive: true });
  mkdirSync(evalDir);
  writeFileSync(join(repo, 'mod.py'), `${LINES.join('\n')}\n`);
  writeFileSync(join(repo, 'tests', 'test_mod.py'), 'def test_old(): pass\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'base');
  return { repo, evalDir, base: git(repo, 'rev-parse', 'HEAD').trim() };
}

/**
 * A diff of mod.py made against `from` outside the repository (as an agent's patch for another tree would be):
 * its blobs are not in the repository, so --3way has nothing to merge with.
 */
function diffOf(change: (lines: string[]) => string[], from = LINES): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-diff-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'mod.py'), `${from.join('\n')}\n`);
  writeFileSync(join(dir, 'b', 'mod.py'), `${change([...from]).join('\n')}\n`);
  try {
    execFileSync('git', ['diff', '--no-index', '--no-prefix', 'a/mod.py', 'b/mod.py'], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    // exit 1: the files differ (the diff is on stdout)
    return String((e as { stdout: string }).stdout);
  }
  throw new Error('no difference');
}

const TEST_PATCH = 'diff --git a/tests/test_mod.py b/tests/test_mod.py\n--- a/tests/test_mod.py\n+++ b/tests/test_mod.py\n@@ -1 +1,2 @@\n def test_old(): pass\n+def test_new(): pass\ndiff --git a/tests/test_added.py b/tests/test_added.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_added.py\n@@ -0,0 +1 @@\n+def test_added(): pass\n';

function runDriver(s: ReturnType<typeof scratch>, modelPatch: string, evalScript = 'echo "eval ran"; exit 3\n') {
  writeFileSync(join(s.evalDir, EVAL_FILES.modelPatch), modelPatch);
  writeFileSync(join(s.evalDir, EVAL_FILES.testPatch), TEST_PATCH);
  writeFileSync(join(s.evalDir, EVAL_FILES.evalScript), evalScript);
  const script = driverScript({ baseCommit: s.base, testPatchFiles: patchFiles(TEST_PATCH), paths: { evalDir: s.evalDir, repo: s.repo, evalScript: join(s.evalDir, 'eval-copy.sh') } });
  writeFileSync(join(s.evalDir, EVAL_FILES.driver), script);
  execFileSync('bash', [join(s.evalDir, EVAL_FILES.driver)], { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
  const read = (name: string) => (existsSync(join(s.evalDir, name)) ? readFileSync(join(s.evalDir, name), 'utf8') : null);
  return { status: parseDriverStatus(read(EVAL_FILES.status) ?? ''), applyLog: read(EVAL_FILES.applyLog) ?? '', testOutput: read(EVAL_FILES.testOutput) };
}

describe('grading driver', () => {
  it('applies a clean patch with git apply, resets the test files per file, checks the test patch, runs the eval script', () => {
    const s = scratch();
    // The agent edited an existing test file and created a file the test patch adds: both are undone.
    writeFileSync(join(s.repo, 'tests', 'test_mod.py'), 'def test_old(): assert False\n');
    writeFileSync(join(s.repo, 'tests', 'test_added.py'), 'forged\n');
    const r = runDriver(s, diffOf((l) => l.map((x) => (x === 'line 5' ? 'line five' : x))));
    expect(r.status).toEqual({ apply: 'git apply --verbose', testPatch: 'ok', evalExit: 3 });
    expect(r.testOutput).toBe('eval ran\n');
    expect(readFileSync(join(s.repo, 'mod.py'), 'utf8')).toContain('line five');
    expect(readFileSync(join(s.repo, 'tests', 'test_mod.py'), 'utf8')).toBe('def test_old(): pass\n');
    expect(existsSync(join(s.repo, 'tests', 'test_added.py'))).toBe(false);
  });

  it('falls back to patch --fuzz=5 when git apply refuses a patch made against slightly different context', () => {
    const s = scratch();
    // Made against a file whose context lines near the change differ: git apply (even --3way, without the
    // blobs) refuses, patch's fuzz takes it.
    const drifted = LINES.map((x) => (x === 'line 14' || x === 'line 18' ? `${x} (drifted)` : x));
    const r = runDriver(s, diffOf((l) => l.map((x) => (x === 'line 16' ? 'line sixteen' : x)), drifted));
    expect(r.status.apply).toBe('patch --batch --forward --fuzz=5 -p1 -i');
    expect(r.applyLog).toContain('>>>>> git apply --verbose --3way');
    expect(readFileSync(join(s.repo, 'mod.py'), 'utf8')).toContain('line sixteen');
    expect(r.status.evalExit).toBe(3);
  });

  it('reports a patch no fallback takes, leaves the tree clean and runs no tests', () => {
    const s = scratch();
    const other = LINES.map((x) => `other ${x}`);
    const r = runDriver(s, diffOf((l) => l.map((x) => (x === 'other line 9' ? 'changed' : x)), other));
    expect(r.status).toEqual({ apply: 'failed', testPatch: null, evalExit: null });
    expect(r.testOutput).toBeNull();
    expect(git(s.repo, 'status', '--porcelain')).toBe('');
  });

  it('counts a patch whose reverse applies as already applied', () => {
    const s = scratch();
    // Made against a longer file (a blob the repository lacks): --3way cannot merge it in again.
    const patch = diffOf((l) => l.map((x) => (x === 'line 3' ? 'line three' : x)), [...LINES, 'line 31']);
    writeFileSync(join(s.repo, 'mod.py'), `${LINES.map((x) => (x === 'line 3' ? 'line three' : x)).join('\n')}\n`);
    git(s.repo, 'commit', '-qam', 'the fix is in the image already');
    expect(runDriver(s, patch).status.apply).toBe('already applied');
  });

  it('says when the test patch does not apply onto the reset test files', () => {
    const s = scratch();
    writeFileSync(join(s.repo, 'tests', 'test_mod.py'), 'def test_other(): pass\n');
    git(s.repo, 'commit', '-qam', 'the base has another test file than the test patch expects');
    const r = runDriver({ ...s, base: git(s.repo, 'rev-parse', 'HEAD').trim() }, diffOf((l) => l.map((x) => (x === 'line 2' ? 'two' : x))));
    expect(r.status).toEqual({ apply: 'git apply --verbose', testPatch: 'failed', evalExit: 3 });
  });
});
