import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { buildEvalScript, parseEvalScript, patchFiles, testDirectives } from '../../src/grading/eval-script.js';
import { parseTaskRecord } from '../../src/swebench/task.js';

const TEST_PATCH = [
  'diff --git a/pkg/tests/test_core.py b/pkg/tests/test_core.py',
  'index 1111111..2222222 100644',
  '--- a/pkg/tests/test_core.py',
  '+++ b/pkg/tests/test_core.py',
  '@@ -1 +1,2 @@',
  ' import pkg',
  '+def test_new(): assert pkg.f() == 2',
  'diff --git a/pkg/tests/test_added.py b/pkg/tests/test_added.py',
  'new file mode 100644',
  'index 0000000..3333333',
  '--- /dev/null',
  '+++ b/pkg/tests/test_added.py',
  '@@ -0,0 +1 @@',
  '+def test_added(): pass',
  'diff --git a/pkg/tests/test_gone.py b/pkg/tests/test_gone.py',
  'deleted file mode 100644',
  'index 4444444..0000000',
  '--- a/pkg/tests/test_gone.py',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-def test_gone(): pass',
  'diff --git a/pkg/tests/data.json b/pkg/tests/data.json',
  'index 5555555..6666666 100644',
  '--- a/pkg/tests/data.json',
  '+++ b/pkg/tests/data.json',
  '@@ -1 +1 @@',
  '-{}',
  '+{"a": 1}',
  '',
].join('\n');

const BASE = 'a'.repeat(40);

describe('patchFiles and testDirectives', () => {
  it('splits a test patch into files to check out, to remove, and deleted ones, as the harness reads them', () => {
    expect(patchFiles(TEST_PATCH)).toEqual({
      modified: ['pkg/tests/test_core.py', 'pkg/tests/test_gone.py', 'pkg/tests/data.json'],
      created: ['pkg/tests/test_added.py'],
      deleted: ['pkg/tests/test_gone.py'],
      headers: ['pkg/tests/test_core.py', 'pkg/tests/test_added.py', 'pkg/tests/test_gone.py', 'pkg/tests/data.json'],
    });
  });

  it('takes test directives without non-test files; the fork also leaves out deleted files; Django gets module labels', () => {
    expect(testDirectives(TEST_PATCH, 'o/pkg', false)).toEqual(['pkg/tests/test_core.py', 'pkg/tests/test_added.py', 'pkg/tests/test_gone.py']);
    expect(testDirectives(TEST_PATCH, 'o/pkg', true)).toEqual(['pkg/tests/test_core.py', 'pkg/tests/test_added.py']);
    const django = 'diff --git a/tests/admin_views/tests.py b/tests/admin_views/tests.py\n--- a/tests/admin_views/tests.py\n+++ b/tests/admin_views/tests.py\ndiff --git a/django/contrib/x.py b/django/contrib/x.py\n--- a/django/contrib/x.py\n+++ b/django/contrib/x.py\n';
    expect(testDirectives(django, 'django/django', false)).toEqual(['admin_views.tests']);
  });
});

describe('parseEvalScript (v5)', () => {
  it('strips the shebang and the set line, and nothing else', () => {
    expect(parseEvalScript("#!/bin/bash\nset -uxo pipefail\ncd /testbed\nset -x\n#!/bin/bash \npytest\n")).toEqual(['cd /testbed', 'set -x', '#!/bin/bash ', 'pytest']);
  });
});

describe('buildEvalScript', () => {
  it('uses a v5 record\'s eval_script as the harness does', () => {
    const task = parseTaskRecord({ instance_id: 'o__p-1', eval_script: "#!/bin/bash\nset -uxo pipefail\n: '>>>>> Start Test Output'\npytest\n: '>>>>> End Test Output'\n" }, 't');
    expect(buildEvalScript({ task })).toEqual({
      origin: 'eval_script',
      text: "#!/bin/bash\nset -uxo pipefail\n: '>>>>> Start Test Output'\npytest\nSWEBENCH_TEST_EXIT_CODE=$?\n: '>>>>> End Test Output'\necho \">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE\"\n",
    });
  });

  it('builds the fork\'s script from install_config: locale prefix, install again, per-file reset, test patch, directives', () => {
    const task = parseTaskRecord(
      { instance_id: 'o__p-2', repo: 'o/p', base_commit: BASE, test_patch: TEST_PATCH, install_config: { test_cmd: 'pytest -rA', install: 'pip install -e .', eval_commands: ['export X=1'] } },
      't',
    );
    const { text, origin } = buildEvalScript({ task });
    expect(origin).toBe('install_config');
    const lines = text.split('\n');
    expect(lines.slice(0, 6)).toEqual(['#!/bin/bash', 'set -uxo pipefail', 'source /opt/miniconda3/bin/activate', 'conda activate testbed', 'cd /testbed', 'export X=1']);
    expect(text).toContain(`git -c core.fileMode=false diff ${BASE}\nsource /opt/miniconda3/bin/activate\nconda activate testbed\nLANG=C.UTF-8 LC_ALL=C.UTF-8 pip install -e .\n`);
    const reset = `git checkout ${BASE} pkg/tests/test_core.py pkg/tests/test_gone.py pkg/tests/data.json\nrm -f pkg/tests/test_added.py`;
    expect(text).toContain(`${reset}\ngit apply -v - <<'EOF_114329324912'\n${TEST_PATCH}\nEOF_114329324912\n: '>>>>> Start Test Output'\nLANG=C.UTF-8 LC_ALL=C.UTF-8 pytest -rA pkg/tests/test_core.py pkg/tests/test_added.py\nSWEBENCH_TEST_EXIT_CODE=$?\n: '>>>>> End Test Output'\necho ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"\n${reset}\n`);
    expect(text.endsWith(`${reset}\n`)).toBe(true);
  });

  it('--test-cmd replaces the record\'s command, taken as written (no locale prefix, the harness\'s directives)', () => {
    const task = parseTaskRecord({ instance_id: 'o__p-3', base_commit: BASE, test_patch: TEST_PATCH, eval_script: 'pytest' }, 't');
    const { text, origin } = buildEvalScript({ task, testCmd: 'python -m pytest -x' });
    expect(origin).toBe('test-cmd');
    expect(text).toContain("\npython -m pytest -x pkg/tests/test_core.py pkg/tests/test_added.py pkg/tests/test_gone.py\nSWEBENCH_TEST_EXIT_CODE=$?\n");
  });

  it('refuses, in one line naming the instance, a record that says neither how to test nor what to add', () => {
    const msg = (record: Record<string, unknown>) => {
      try {
        buildEvalScript({ task: parseTaskRecord({ instance_id: 'o__p-4', ...record }, 't') });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(msg({})).toMatch(/^o__p-4: the task record has no eval_script and no install_config.test_cmd: give the test command with --test-cmd$/);
    expect(msg({ install_config: { test_cmd: 'pytest' } })).toMatch(/no test_patch/);
    expect(msg({ install_config: { test_cmd: 'pytest' }, test_patch: TEST_PATCH })).toMatch(/no base_commit/);
  });
});
