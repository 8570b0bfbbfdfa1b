import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { chooseProblemStatement, parseTasks, pickTask, readTasksFile } from '../../src/swebench/task.js';

const swebenchRecord = {
  instance_id: 'astropy__astropy-12907',
  repo: 'astropy/astropy',
  base_commit: 'd16bfe05a744909de4b27f5875fe0d4ed41ce607',
  problem_statement: 'Modeling separability is wrong for nested CompoundModels',
  image_name: 'docker.io/swebench/sweb.eval.x86_64.astropy_1776_astropy-12907:latest',
  // SWE-bench exports hold these as JSON text.
  FAIL_TO_PASS: '["astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]"]',
  PASS_TO_PASS: '["astropy/modeling/tests/test_separable.py::test_coord_matrix"]',
};

const rebenchRecord = {
  instance_id: 'encode__starlette-1147',
  docker_image: 'swerebench/sweb.eval.x86_64.encode_1776_starlette-1147',
  problem_statement: 'Session cookie path',
  FAIL_TO_PASS: ['tests/test_session.py::test_session_cookie_path'],
  PASS_TO_PASS: [],
  install_config: { test_cmd: 'pytest --no-header -rA -p no:cacheprovider', python: '3.9' },
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseTasks', () => {
  it('reads a JSON array with the SWE-bench fields, test lists given as JSON text', () => {
    const [t] = parseTasks(JSON.stringify([swebenchRecord]), 'tasks.json');
    expect(t).toEqual({
      instanceId: 'astropy__astropy-12907',
      problemStatement: 'Modeling separability is wrong for nested CompoundModels',
      image: 'docker.io/swebench/sweb.eval.x86_64.astropy_1776_astropy-12907:latest',
      repo: 'astropy/astropy',
      baseCommit: 'd16bfe05a744909de4b27f5875fe0d4ed41ce607',
      failToPass: ['astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]'],
      passToPass: ['astropy/modeling/tests/test_separable.py::test_coord_matrix'],
      version: null,
      testCmd: null,
      install: null,
      evalCommands: [],
      logParser: null,
      evalType: 'pass_and_fail',
      evalScript: null,
      testPatch: null,
      goldPatch: null,
    });
  });

  it('reads JSONL with SWE-rebench docker_image and install_config.test_cmd, skipping blank lines', () => {
    const text = `${JSON.stringify(swebenchRecord)}\n\n${JSON.stringify(rebenchRecord)}\n`;
    const tasks = parseTasks(text, 'tasks.jsonl');
    expect(tasks.map((t) => t.instanceId)).toEqual(['astropy__astropy-12907', 'encode__starlette-1147']);
    expect(tasks[1].image).toBe('swerebench/sweb.eval.x86_64.encode_1776_starlette-1147');
    expect(tasks[1].testCmd).toBe('pytest --no-header -rA -p no:cacheprovider');
    expect(tasks[1].failToPass).toEqual(['tests/test_session.py::test_session_cookie_path']);
  });

  it('reads the grading fields of a SWE-bench v5 record (image, eval_script, log_parser, eval_type) and of SWE-rebench (install_config)', () => {
    const v5 = {
      ...swebenchRecord,
      image_name: undefined,
      image: 'swebench/sweb.eval.x86_64.astropy_1776_astropy-12907:latest',
      version: 4.3,
      eval_script: '#!/bin/bash\nset -uxo pipefail\npytest -rA\n',
      log_parser: 'parse_log_pytest_v2',
      eval_type: 'fail_only',
      test_patch: 'diff --git a/t.py b/t.py\n',
      patch: 'diff --git a/m.py b/m.py\n',
    };
    const [t] = parseTasks(JSON.stringify(v5), 'v5.json');
    expect(t).toMatchObject({
      image: v5.image,
      version: '4.3',
      evalScript: v5.eval_script,
      logParser: 'parse_log_pytest_v2',
      evalType: 'fail_only',
      testPatch: v5.test_patch,
      goldPatch: v5.patch,
    });
    const [r] = parseTasks(
      JSON.stringify({ ...rebenchRecord, install_config: { test_cmd: 'pytest -rA', install: 'pip install -e .', log_parser: 'parse_log_pytest', eval_commands: ['export LANG=C.UTF-8'] } }),
      'r.json',
    );
    expect(r).toMatchObject({ testCmd: 'pytest -rA', install: 'pip install -e .', logParser: 'parse_log_pytest', evalCommands: ['export LANG=C.UTF-8'], evalType: 'pass_and_fail' });
    expect(configError(() => parseTasks(JSON.stringify({ instance_id: 'a', eval_type: 'fail_all' }), 't.json'))).toMatch(/eval_type/);
    expect(configError(() => parseTasks(JSON.stringify({ instance_id: 'a', image_name: 'x', image: 'y' }), 't.json'))).toMatch(/"image_name" \(x\) and "image" \(y\) disagree/);
  });

  it('reads a single JSON object, and install_config given as JSON text with a list of commands', () => {
    const [t] = parseTasks(JSON.stringify({ ...rebenchRecord, install_config: JSON.stringify({ test_cmd: ['make', 'pytest'] }) }), 'one.json');
    expect(t.testCmd).toBe('make && pytest');
  });

  it('names file and line of a bad record', () => {
    expect(configError(() => parseTasks(`${JSON.stringify(swebenchRecord)}\n{not json`, 't.jsonl'))).toMatch(/^t\.jsonl:2: not JSON/);
    expect(configError(() => parseTasks(JSON.stringify([{ problem_statement: 'x' }]), 't.json'))).toBe('t.json [0]: "instance_id" is missing or empty');
    expect(configError(() => parseTasks(JSON.stringify({ instance_id: 'a', FAIL_TO_PASS: 'oops' }), 't.json'))).toMatch(/"FAIL_TO_PASS" is a string but not a JSON list/);
    expect(configError(() => parseTasks(JSON.stringify({ instance_id: 'a', image_name: 'x', docker_image: 'y' }), 't.json'))).toMatch(/disagree/);
    expect(configError(() => parseTasks(`${JSON.stringify(rebenchRecord)}\n${JSON.stringify(rebenchRecord)}`, 't.jsonl'))).toMatch(/appears twice/);
    expect(configError(() => parseTasks('[]', 't.json'))).toBe('t.json: no task records');
  });

  it('reports an unreadable file in one line', () => {
    expect(configError(() => readTasksFile('/nonexistent/tasks.jsonl'))).toBe('--task /nonexistent/tasks.jsonl: cannot read: ENOENT');
    const file = join(mkdtempSync(join(tmpdir(), 'tasks-')), 't.jsonl');
    writeFileSync(file, JSON.stringify(rebenchRecord));
    expect(readTasksFile(file).tasks).toHaveLength(1);
  });
});

describe('pickTask', () => {
  const tasks = parseTasks(JSON.stringify([swebenchRecord, rebenchRecord]), 'tasks.json');
  it('needs --instance when the file holds several records', () => {
    expect(configError(() => pickTask(tasks, undefined, 'tasks.json'))).toMatch(/holds 2 tasks .* name one with --instance ID/);
    expect(pickTask(tasks, 'encode__starlette-1147', 'tasks.json').instanceId).toBe('encode__starlette-1147');
    expect(configError(() => pickTask(tasks, 'nope', 'tasks.json'))).toBe('tasks.json: no task with instance_id nope');
    expect(pickTask(tasks.slice(0, 1), undefined, 'tasks.json').instanceId).toBe('astropy__astropy-12907');
  });
});

describe('chooseProblemStatement', () => {
  const [task] = parseTasks(JSON.stringify(rebenchRecord), 't.json');
  it('prefers the image\'s /issue.md, then the record', () => {
    expect(chooseProblemStatement('# from the image\n', task, 'img')).toEqual({ text: '# from the image\n', from: 'img:/issue.md' });
    expect(chooseProblemStatement(null, task, 'img')).toEqual({ text: 'Session cookie path', from: 'task record encode__starlette-1147' });
    expect(chooseProblemStatement('  \n', task, 'img').text).toBe('Session cookie path');
  });
  it('refuses an empty problem statement instead of sending an empty prompt', () => {
    expect(configError(() => chooseProblemStatement(null, { ...task, problemStatement: ' \n ' }, 'img'))).toBe(
      'empty problem statement: img has no /issue.md, and task encode__starlette-1147 has an empty problem_statement',
    );
    expect(configError(() => chooseProblemStatement('', null, 'img'))).toBe('empty problem statement: img:/issue.md is empty, and no --task record was given');
  });
});
