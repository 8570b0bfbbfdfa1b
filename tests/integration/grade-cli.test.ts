// `agentpod grade --log FILE --task FILE` through the built CLI (dist/cli.js): offline, no container.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/user.js';

const FIXTURES = join(repoRoot, 'tests', 'fixtures', 'grading');
let dir: string;

function grade(args: string[]) {
  return execa(process.execPath, [cliPath, 'grade', ...args], { reject: false, cwd: dir, stripFinalNewline: false });
}

function writeTask(name: string, records: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

const pytestRecord = {
  instance_id: 'toy__pkg-1',
  repo: 'pytest-dev/pytest',
  // As SWE-bench exports them: JSON text of a list.
  FAIL_TO_PASS: JSON.stringify(['tests/test_core.py::test_add_param[1-2-3]', 'tests/test_core.py::test_add_param[2-2-5]']),
  PASS_TO_PASS: JSON.stringify(['tests/test_core.py::test_add_ints', 'tests/test_core.py::test_needs_network']),
  log_parser: 'parse_log_pytest',
  eval_type: 'pass_and_fail',
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-grade-cli-'));
});

describe('agentpod grade --log', () => {
  it('--json prints exactly the verdict and the two lists (a real eval log with markers and exit code)', async () => {
    const task = writeTask('task.jsonl', [pytestRecord]);
    const r = await grade(['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', task, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      JSON.stringify({
        resolved: false,
        resolution: 'NO',
        log_valid: true,
        FAIL_TO_PASS: { success: ['tests/test_core.py::test_add_param[1-2-3]'], failure: ['tests/test_core.py::test_add_param[2-2-5]'] },
        PASS_TO_PASS: { success: ['tests/test_core.py::test_add_ints'], failure: ['tests/test_core.py::test_needs_network'] },
      }) + '\n',
    );
  });

  it('prints a short summary: verdict, counts, the failing tests', async () => {
    const task = writeTask('task.jsonl', [pytestRecord]);
    const r = await grade(['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', task]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      [
        'toy__pkg-1: not resolved (NO)',
        '  parser parse_log_pytest, eval_type pass_and_fail, test exit code 1',
        '  FAIL_TO_PASS: 1/2 passed, failing:',
        '    tests/test_core.py::test_add_param[2-2-5]',
        '  PASS_TO_PASS: 1/2 passed, failing:',
        '    tests/test_core.py::test_needs_network',
        '',
      ].join('\n'),
    );
  });

  it('grades bare test output whole, with the parser chosen by --log-parser or from the repo', async () => {
    const task = writeTask('django.json', [
      {
        instance_id: 'django__django-1',
        repo: 'django/django',
        FAIL_TO_PASS: ['test_decimal_numbers (fixture_app.tests.NumberFormatTests)', 'Regression for #17530 - should be able to cope with forward references.'],
        PASS_TO_PASS: ['test_create_user (fixture_app.tests.ModelTests)'],
      },
    ]);
    const r = await grade(['--log', join(FIXTURES, 'django-py310.log'), '--task', task]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toContain('django__django-1: resolved (FULL)\n  parser parse_log_django, eval_type pass_and_fail\n');
    expect(r.stdout).toContain('has no start/end markers: graded the whole file as the test output');
    const py312 = await grade(['--log', join(FIXTURES, 'django-py312.log'), '--task', task, '--json']);
    expect(JSON.parse(py312.stdout)).toMatchObject({ resolved: false, resolution: 'NO', log_valid: true });
    const overridden = await grade(['--log', join(FIXTURES, 'django-py310.log'), '--task', task, '--log-parser', 'parse_log_pytest', '--json']);
    // The pytest parser finds only "ERROR: test_error (…)" → {"test_error": "ERROR:"}: every listed test is missing.
    expect(JSON.parse(overridden.stdout)).toMatchObject({ resolved: false, log_valid: true, FAIL_TO_PASS: { success: [] }, PASS_TO_PASS: { success: [] } });
    expect(JSON.parse(overridden.stdout).FAIL_TO_PASS.failure).toHaveLength(2);
  });

  it('says why a log is invalid', async () => {
    const task = writeTask('task.jsonl', [pytestRecord]);
    const log = join(dir, 'cut.log');
    writeFileSync(log, "+ : '>>>>> Start Test Output'\n+ pytest -rA tests\nPASSED tests/test_core.py::test_add_ints\n");
    const r = await grade(['--log', log, '--task', task]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('toy__pkg-1: not resolved (NO)\n');
    expect(r.stdout).toContain('  log invalid: the end marker of the test output is missing: the test run was cut off\n');
    const json = await grade(['--log', log, '--task', task, '--json']);
    expect(json.stdout).toBe('{"resolved":false,"resolution":"NO","log_valid":false,"FAIL_TO_PASS":{"success":[],"failure":[]},"PASS_TO_PASS":{"success":[],"failure":[]}}\n');
  });

  it('refuses a bad parser name in one line, exit 2, from the flag or the record', async () => {
    const task = writeTask('task.jsonl', [pytestRecord]);
    const r = await grade(['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', task, '--log-parser', 'parse_log_nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(String(r.stderr).trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agentpod: unknown log parser "parse_log_nope": agentpod implements the harness's Python parsers parse_log_pytest, /);
    const js = writeTask('js.json', [{ ...pytestRecord, log_parser: 'parse_log_jest' }]);
    const r2 = await grade(['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', js]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/^agentpod: log parser "parse_log_jest" is the harness's JavaScript parser: agentpod grades Python test logs only/);
  });

  it('refuses a missing or unreadable log, a task file with several records and no --instance, and no --log, each in one line', async () => {
    const task = writeTask('task.jsonl', [pytestRecord]);
    const cases: [string[], RegExp][] = [
      [['--log', join(dir, 'absent.log'), '--task', task], /^agentpod: --log .*absent\.log: cannot read: ENOENT\n$/],
      [['--log', dir, '--task', task], /^agentpod: --log .*: cannot read: EISDIR\n$/],
      [['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', join(dir, 'absent.json')], /^agentpod: --task .*absent\.json: cannot read: ENOENT\n$/],
      [['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', writeTask('two.jsonl', [pytestRecord, { ...pytestRecord, instance_id: 'toy__pkg-2' }])], /^agentpod: .*two\.jsonl holds 2 tasks .*name one with --instance ID\n$/],
      [['--log', join(FIXTURES, 'eval-pytest8.log')], /^agentpod: --log needs --task FILE/],
      [['--task', task], /^agentpod: grade: name run ids, or --batch ID \(not both\), or --log FILE --task FILE/],
      [['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', task, 'some-run-id'], /^agentpod: --log grades a saved log: give no run ids or --batch with it/],
    ];
    for (const [args, says] of cases) {
      const r = await grade(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(says);
      expect(String(r.stderr).trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('takes --instance to pick one record of several', async () => {
    const task = writeTask('two.jsonl', [{ ...pytestRecord, instance_id: 'other__x-1', FAIL_TO_PASS: '[]', PASS_TO_PASS: '["gone"]' }, pytestRecord]);
    const r = await grade(['--log', join(FIXTURES, 'eval-pytest8.log'), '--task', task, '--instance', 'other__x-1', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ resolved: false, resolution: 'NO', log_valid: true, FAIL_TO_PASS: { success: [], failure: [] }, PASS_TO_PASS: { success: [], failure: ['gone'] } });
  });
});
