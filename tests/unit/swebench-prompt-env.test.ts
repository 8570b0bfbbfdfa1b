import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_PATH } from '../../src/podman/argv.js';
import { gitConfigEnv, trialEnv } from '../../src/swebench/env.js';
import { checkTemplate, DEFAULT_TEMPLATE, loadTemplate, promptValues, renderPrompt } from '../../src/swebench/prompt.js';
import { parseTasks } from '../../src/swebench/task.js';

const [task] = parseTasks(
  JSON.stringify({ instance_id: 'a__b-1', repo: 'a/b', problem_statement: 'x', FAIL_TO_PASS: ['t1', 't2'], install_config: { test_cmd: 'pytest -x' } }),
  't.json',
);

describe('GIT_CONFIG environment', () => {
  it('numbers the keys and values from 0 and counts them', () => {
    expect(gitConfigEnv([['user.name', 'n'], ['safe.directory', '/testbed']])).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'user.name',
      GIT_CONFIG_VALUE_0: 'n',
      GIT_CONFIG_KEY_1: 'safe.directory',
      GIT_CONFIG_VALUE_1: '/testbed',
    });
  });

  it('is what git itself reads, with no config file involved', () => {
    const out = execFileSync('git', ['config', '--get-all', 'safe.directory'], {
      env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'home-')), GIT_CONFIG_NOSYSTEM: '1', ...trialEnv(null) },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('/testbed');
  });

  it('puts a test env\'s bin first on PATH, and leaves PATH alone without one', () => {
    expect(trialEnv('/opt/miniconda3/envs/testbed').PATH).toBe(`/opt/miniconda3/envs/testbed/bin:${DEFAULT_PATH}`);
    expect(trialEnv(null).PATH).toBeUndefined();
    expect(trialEnv(null)).toMatchObject({ GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_KEY_1: 'user.email', GIT_CONFIG_KEY_2: 'safe.directory' });
  });
});

describe('prompt templates', () => {
  const values = promptValues(task, 'It breaks {{repo}} when {{x}}', 'a__b-1', 'img:1', 'abc123');

  it('fills every placeholder in one pass, never expanding text that came from a value', () => {
    const t = checkTemplate('[{{instance_id}}] {{ repo }} @ {{base_commit}} in {{workdir}}\n{{problem_statement}}\n{{fail_to_pass}}\n{{test_cmd}}', 't.md');
    expect(renderPrompt(t, values)).toBe('[a__b-1] a/b @ abc123 in /testbed\nIt breaks {{repo}} when {{x}}\nt1\nt2\npytest -x');
  });

  it('rejects unknown placeholders and templates without the problem statement when loaded', () => {
    expect(() => checkTemplate('{{problem_statement}} {{instance}}', 'my.md')).toThrow(
      new ConfigError('prompt template my.md: unknown placeholder {{instance}} (known: instance_id, problem_statement, repo, base_commit, workdir, image, test_cmd, fail_to_pass, pass_to_pass)'),
    );
    expect(() => checkTemplate('Fix it.', 'my.md')).toThrow(/never uses \{\{problem_statement\}\}/);
  });

  it('says which task lacks a value the template needs', () => {
    const t = checkTemplate('{{problem_statement}} run {{test_cmd}}', 'my.md');
    expect(() => renderPrompt(t, promptValues(null, 'p', 'img-only', 'img:1', 'abc'))).toThrow('prompt template my.md uses {{test_cmd}}, but instance img-only has no test_cmd');
  });

  it('ships a default template that asks for a fix without touching tests', () => {
    const t = loadTemplate();
    expect(t.source).toBe(DEFAULT_TEMPLATE);
    const prompt = renderPrompt(t, values);
    expect(prompt).toContain('It breaks {{repo}} when {{x}}');
    expect(prompt).toMatch(/Do not modify, add or delete tests/);
  });

  it('reads a replacement with --prompt-template and says when it cannot', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tpl-')), 'mine.md');
    writeFileSync(file, 'Issue: {{problem_statement}}');
    expect(renderPrompt(loadTemplate(file), values)).toBe('Issue: It breaks {{repo}} when {{x}}');
    expect(() => loadTemplate('/nonexistent.md')).toThrow('--prompt-template /nonexistent.md: cannot read: ENOENT');
  });
});
