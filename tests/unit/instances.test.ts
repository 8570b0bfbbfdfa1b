// The instance recipe and its records without building anything: the records parse as agentpod's task
// records, the eval script has SWE-bench v5's shape, the recipe's patches fit together.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { debianMirror, outcomesOf } from '../../src/instances/build.js';
import { loadInstance } from '../../src/instances/instance.js';
import { DEFAULT_INSTANCE, instanceImageName, loadRecipe, readRecipeFile, recipeHash, RECIPE_FILES } from '../../src/instances/recipe.js';
import { filesOfDiff, HEREDOC_DELIMITER, swebenchRecord, swerebenchRecord, testFilesOf, v5EvalScript } from '../../src/instances/records.js';
import { parseTaskRecord } from '../../src/swebench/task.js';

const recipe = loadRecipe(DEFAULT_INSTANCE);
const testPatch = readRecipeFile(DEFAULT_INSTANCE, RECIPE_FILES.testPatch);
const gold = readRecipeFile(DEFAULT_INSTANCE, RECIPE_FILES.gold);
const base = 'a'.repeat(40);
const built = {
  image: instanceImageName(DEFAULT_INSTANCE, recipeHash(DEFAULT_INSTANCE)),
  baseCommit: base,
  problemStatement: readRecipeFile(DEFAULT_INSTANCE, RECIPE_FILES.problemStatement),
  testPatch,
  goldPatch: gold,
  passToPass: ['toolz/tests/test_itertoolz.py::test_remove', 'toolz/tests/test_itertoolz.py::test_partition'],
};

describe('instance records', () => {
  it('writes a SWE-bench v5 record that parses with its eval script, parser and JSON-text test lists', () => {
    const record = swebenchRecord(recipe, built);
    expect(typeof record.FAIL_TO_PASS).toBe('string');
    const task = parseTaskRecord(record, 'v5 record');
    expect(task).toMatchObject({
      instanceId: 'pytoolz__toolz-1',
      repo: 'pytoolz/toolz',
      image: built.image,
      baseCommit: base,
      version: '0.12',
      failToPass: recipe.failToPass,
      passToPass: built.passToPass,
      logParser: 'parse_log_pytest',
      evalType: 'pass_and_fail',
      testPatch,
      goldPatch: gold,
      testCmd: null,
    });
    expect(task.evalScript).toBe(v5EvalScript({ baseCommit: base, testPatch, install: recipe.install, testCmd: recipe.testCmd }));
    expect(task.problemStatement).toContain('partition_all');
  });

  it('writes a SWE-rebench record with real lists, install_config and image_name = docker_image', () => {
    const record = swerebenchRecord(recipe, built);
    expect(Array.isArray(record.PASS_TO_PASS)).toBe(true);
    expect(record.image_name).toBe(record.docker_image);
    const task = parseTaskRecord(record, 'rebench record');
    expect(task).toMatchObject({
      image: built.image,
      testCmd: recipe.rebenchTestCmd,
      install: 'python -m pip install -e .',
      logParser: 'parse_log_pytest',
      failToPass: recipe.failToPass,
      passToPass: built.passToPass,
      evalScript: null,
    });
  });

  it('builds the eval script as SWE-bench v5 datasets carry it: reset, test patch by heredoc, markers', () => {
    const script = v5EvalScript({ baseCommit: base, testPatch, install: recipe.install, testCmd: recipe.testCmd });
    const lines = script.split('\n');
    expect(lines.slice(0, 4)).toEqual(['#!/bin/bash', 'set -uxo pipefail', 'source /opt/miniconda3/bin/activate', 'conda activate testbed']);
    const file = 'toolz/tests/test_itertoolz.py';
    const start = lines.indexOf(": '>>>>> Start Test Output'");
    expect(lines[start + 1]).toBe(`pytest -rA ${file}`);
    expect(lines[start + 2]).toBe(": '>>>>> End Test Output'");
    expect(lines[start + 3]).toBe(`git checkout ${base} ${file}`);
    expect(script).toContain(`python -m pip install -e .\ngit checkout ${base} ${file}\ngit apply -v - <<'${HEREDOC_DELIMITER}'\n${testPatch}\n${HEREDOC_DELIMITER}\n: '>>>>> Start`);
    expect(script.endsWith(`git checkout ${base} ${file}\n`)).toBe(true);
  });

  it('takes test directives from the test patch as the harness does (data files are not directives)', () => {
    const diff = ['a.py', 'tests/test_a.py', 'tests/data.json', 'tests/fixturecsv', 'tests/test_a.py'].map((f) => `diff --git a/${f} b/${f}\n--- a/${f}\n+++ b/${f}\n`).join('');
    expect(filesOfDiff(diff)).toEqual(['a.py', 'tests/test_a.py', 'tests/data.json', 'tests/fixturecsv']);
    expect(testFilesOf(diff)).toEqual(['a.py', 'tests/test_a.py']);
    expect(testFilesOf(testPatch)).toEqual(['toolz/tests/test_itertoolz.py']);
  });
});

describe('instance recipe', () => {
  it('keeps its patches apart: the test patch touches only tests, the gold patch and variants only the source', () => {
    expect(filesOfDiff(gold)).toEqual(['toolz/itertoolz.py']);
    for (const v of Object.values(recipe.variants)) expect(filesOfDiff(readRecipeFile(DEFAULT_INSTANCE, v.file))).toEqual(['toolz/itertoolz.py']);
    // Each FAIL_TO_PASS test is one the test patch adds to or changes.
    for (const id of recipe.failToPass) {
      const [file, name] = id.split('::');
      expect(testFilesOf(testPatch)).toContain(file);
      expect(testPatch).toMatch(new RegExp(`(^\\+def ${name}\\(|^@@ .* def ${name}\\()`, 'm'));
    }
  });

  it('names its image by the recipe hash, which is stable', () => {
    const hash = recipeHash(DEFAULT_INSTANCE);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(recipeHash(DEFAULT_INSTANCE)).toBe(hash);
    expect(instanceImageName(DEFAULT_INSTANCE, hash)).toBe(`localhost/agentpod/instance-toolz-1:${hash.slice(0, 12)}`);
  });

  it('reads the Debian mirror apt uses, from deb822 .sources or a one-line sources.list', () => {
    const deb822 = 'Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n';
    expect(debianMirror([deb822], 'bookworm')).toBe('http://mirror.example/debian');
    expect(debianMirror([deb822], 'bookworm-security')).toBe('http://security.example/debian-security');
    expect(debianMirror(['# deb http://old/ bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main contrib\n'], 'bookworm')).toBe('http://one.example/debian');
    expect(debianMirror(['Types: deb-src\nURIs: http://src.example/\nSuites: bookworm\n'], 'bookworm')).toBeNull();
  });

  it('reads the validation runs\' outcomes: failed in any phase, skipped, and a test that never ended as hung', () => {
    const lines = [
      { start: 't::a' }, { test: 't::a', when: 'setup', outcome: 'passed' }, { test: 't::a', when: 'call', outcome: 'passed' }, { test: 't::a', when: 'teardown', outcome: 'passed' },
      { start: 't::b' }, { test: 't::b', when: 'setup', outcome: 'passed' }, { test: 't::b', when: 'call', outcome: 'failed' }, { test: 't::b', when: 'teardown', outcome: 'passed' },
      { start: 't::c' }, { test: 't::c', when: 'setup', outcome: 'skipped' }, { test: 't::c', when: 'teardown', outcome: 'passed' },
      { start: 't::d' }, { test: 't::d', when: 'setup', outcome: 'passed' }, { test: 't::d', when: 'call', outcome: 'passed' }, { test: 't::d', when: 'teardown', outcome: 'failed' },
      { collect: 't/test_x.py', outcome: 'failed' },
      { start: 't::e' }, { test: 't::e', when: 'setup', outcome: 'passed' },
    ].map((l) => JSON.stringify(l));
    expect(Object.fromEntries(outcomesOf(lines.join('\n')))).toEqual({ 't::a': 'passed', 't::b': 'failed', 't::c': 'skipped', 't::d': 'failed', 't/test_x.py': 'failed', 't::e': 'hung' });
  });
});

describe('loadInstance', () => {
  const saved = process.env.AGENTPOD_INSTANCE_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.AGENTPOD_INSTANCE_CACHE;
    else process.env.AGENTPOD_INSTANCE_CACHE = saved;
  });

  it('says in one line how to build a missing instance', () => {
    const empty = mkdtempSync(join(tmpdir(), 'agentpod-no-instances-'));
    process.env.AGENTPOD_INSTANCE_CACHE = empty;
    let error: unknown;
    try {
      loadInstance();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(new RegExp(`^instance image toolz-1 is not built for recipe [0-9a-f]{12} \\(no ${empty}/[0-9a-f]{64}/instance.json\\): run npm run setup as root to build it$`));
  });
});
