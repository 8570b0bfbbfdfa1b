// The realistic instance (docs/instances.md) in the three ways agentpod uses an image, for real as the rootless
// test user: the permission fix, the agent's host-sharing run (the host's /usr over the image, the instance's
// venv first on PATH) and the eval environment (a fresh --network=none container of the source image running
// the record's v5 eval script).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/instances/instance.js';
import { fixedImageName } from '../../src/swebench/image-name.js';
import { parseTasks } from '../../src/swebench/task.js';
import { goldEdit, testInstance } from '../helpers/instance.js';
import { startScriptedApi } from '../helpers/mock.js';
import { containersNamed } from '../helpers/testbed.js';
import { agentpod, podmanAsTestUser, testUser, userTempDir } from '../helpers/user.js';

let instance: Instance;

beforeAll(async () => {
  instance = await testInstance();
});

const lastJson = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);

/** A fresh container of the source image (its own /usr), no network, no host path: `script` on stdin as root. */
async function inSourceImage(script: string) {
  const name = `agentpod-test-instance-${Math.random().toString(16).slice(2, 8)}`;
  const r = await podmanAsTestUser(['run', '--rm', '-i', '--name', name, '--network=none', '--user', '0:0', instance.image, '/bin/bash', '-s'], { input: script });
  expect(await containersNamed(name)).toEqual([]);
  return r;
}

/** The harness's eval step: the patch applied (git apply), then the record's eval_script as /eval.sh, one stream. */
function evalStep(patch: string | null, evalScript: string): string {
  return [
    'exec 2>&1',
    patch === null ? '' : `cat > /tmp/patch.diff <<'AGENTPOD_PATCH_EOF'\n${patch}AGENTPOD_PATCH_EOF\ncd /testbed && git apply --verbose /tmp/patch.diff || exit 97`,
    `cat > /eval.sh <<'AGENTPOD_EVAL_EOF'\n${evalScript}AGENTPOD_EVAL_EOF`,
    '/bin/bash /eval.sh',
  ].join('\n');
}

/** pytest -rA's summary lines between the harness's markers: test id → PASSED / FAILED. */
function summary(log: string): Map<string, string> {
  const start = log.indexOf('>>>>> Start Test Output');
  const end = log.indexOf('>>>>> End Test Output');
  expect(start, 'start marker').toBeGreaterThan(0);
  expect(end, 'end marker').toBeGreaterThan(start);
  const statuses = new Map<string, string>();
  for (const m of log.slice(start, end).matchAll(/^(PASSED|FAILED|ERROR) (\S+)/gm)) statuses.set(m[2], m[1]);
  return statuses;
}

function evalScriptOf(which: 'swebench'): string {
  return String(instance.records[which].eval_script);
}

describe('the realistic instance image', () => {
  it('is a SWE-bench-style image: root-owned git repo at the base commit, the testbed env, patch, no /issue.md', async () => {
    const r = await inSourceImage(`set -e
cd /testbed
stat -c 'owner %u:%g' /testbed toolz/itertoolz.py
git rev-parse HEAD
git status --porcelain | wc -l | sed 's/^/changes /'
test -e /issue.md && echo has-issue || echo no-issue
readlink -f /opt/miniconda3/envs/testbed/bin/python
patch --version | head -1
echo "base $(command -v python)"
source /opt/miniconda3/bin/activate && conda activate testbed
echo "env $CONDA_DEFAULT_ENV $(command -v python) $(python -c 'import pytest, toolz; print(pytest.__version__, toolz.__file__)')"
/usr/bin/python3 -c 'import pytest' 2>/dev/null && echo system-pytest || echo no-system-pytest
`);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = String(r.stdout);
    expect(out).toContain('owner 0:0\nowner 0:0\n');
    expect(out).toContain(`${instance.baseCommit}\nchanges 0\nno-issue\n/usr/bin/python3.11\nGNU patch`);
    expect(out).toContain('\nbase /opt/miniconda3/bin/python\n');
    expect(out).toMatch(/^env testbed \/opt\/miniconda3\/envs\/testbed\/bin\/python 7\.\d+\.\d+ \/testbed\/toolz\/__init__\.py$/m);
    // The venv holds its own pytest: it must not lean on the system's (the host's /usr replaces it in a run).
    expect(out).toContain('no-system-pytest');

    const config = await podmanAsTestUser(['image', 'inspect', '--format', '{{.Config.WorkingDir}} {{json .Config.Cmd}} {{index .Config.Labels "agentpod.instance-recipe"}} {{json .Config.Env}}', instance.image]);
    expect(String(config.stdout).trim()).toBe(`/testbed ["/bin/bash"] ${instance.recipeHash} ["PATH=/opt/miniconda3/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]`);
  });

  it('has records of both shapes naming the image and the real base commit', () => {
    const [v5] = parseTasks(readFileSync(instance.recordFiles.swebench, 'utf8'), instance.recordFiles.swebench);
    const [rebench] = parseTasks(readFileSync(instance.recordFiles.swerebench, 'utf8'), instance.recordFiles.swerebench);
    for (const task of [v5, rebench]) {
      expect(task).toMatchObject({ instanceId: instance.instanceId, image: instance.image, baseCommit: instance.baseCommit, failToPass: instance.failToPass, passToPass: instance.passToPass, logParser: 'parse_log_pytest' });
      expect(task.goldPatch).toBe(instance.patches.gold);
      expect(task.testPatch).toBe(instance.patches.test);
    }
    expect(v5.evalScript).toContain(`git checkout ${instance.baseCommit} toolz/tests/test_itertoolz.py`);
    expect(rebench.testCmd).toMatch(/^pytest --no-header -rA/);
    expect(instance.passToPass.length).toBeGreaterThanOrEqual(40);
  });
});

describe('the eval environment (a fresh --network=none container of the source image)', () => {
  it('runs the v5 eval script unchanged: without a patch every FAIL_TO_PASS fails and every PASS_TO_PASS passes', async () => {
    const r = await inSourceImage(evalStep(null, evalScriptOf('swebench')));
    const log = String(r.stdout);
    const tests = summary(log);
    for (const t of instance.failToPass) expect(tests.get(t), t).toBe('FAILED');
    for (const t of instance.passToPass) expect(tests.get(t), t).toBe('PASSED');
    expect(tests.size).toBe(instance.failToPass.length + instance.passToPass.length);
    // set -x traced the test patch's apply and the activation under set -u.
    expect(log).toContain('+ conda activate testbed');
    expect(log).toMatch(/Applied patch toolz\/tests\/test_itertoolz\.py cleanly/);
  });

  it('passes every test with the gold patch, and fails exactly the named PASS_TO_PASS test with the breaking variant', async () => {
    const gold = summary(String((await inSourceImage(evalStep(instance.patches.gold, evalScriptOf('swebench')))).stdout));
    for (const t of [...instance.failToPass, ...instance.passToPass]) expect(gold.get(t), t).toBe('PASSED');

    const broken = summary(String((await inSourceImage(evalStep(instance.patches.breaksPassToPass.patch, evalScriptOf('swebench')))).stdout));
    const failed = [...broken].filter(([, s]) => s !== 'PASSED').map(([t]) => t);
    expect(failed).toEqual(instance.patches.breaksPassToPass.fails);
    expect(instance.passToPass).toEqual(expect.arrayContaining(failed));
  });

  it('refuses the does-not-apply variant through every fallback of the harness', async () => {
    const r = await inSourceImage(`cat > /tmp/patch.diff <<'AGENTPOD_PATCH_EOF'
${instance.patches.doesNotApply.patch}AGENTPOD_PATCH_EOF
cd /testbed
for cmd in "git apply --verbose" "git apply --verbose --3way" "git apply --verbose --reject" "patch --batch --forward --fuzz=5 -p1 -i"; do
  git checkout -q -- . && git clean -fdq
  $cmd /tmp/patch.diff >/dev/null 2>&1; echo "$cmd: $?"
done
git checkout -q -- . && git clean -fdq
git apply --check --reverse /tmp/patch.diff 2>/dev/null; echo "reverse: $?"`);
    expect(String(r.stdout).trim().split('\n')).toEqual([
      'git apply --verbose: 1',
      'git apply --verbose --3way: 1',
      'git apply --verbose --reject: 1',
      'patch --batch --forward --fuzz=5 -p1 -i: 1',
      'reverse: 1',
    ]);
  });
});

describe('the agent on the instance (host-sharing over the image)', () => {
  it('fixes the permission, runs the venv\'s pytest with the host\'s /usr, and captures the gold fix as its patch', async () => {
    const fix = await agentpod(['images', 'fix', instance.image, '--json']);
    expect(fix.exitCode, String(fix.stderr)).toBe(0);
    expect(lastJson(fix.stdout)).toMatchObject({ fixedImage: fixedImageName(instance.image, testUser.uid, testUser.gid), testEnv: '/opt/miniconda3/envs/testbed', testbedHead: instance.baseCommit, hasIssue: false });

    const tests = 'python -m pytest -q toolz/tests/test_itertoolz.py 2>&1 | tail -1';
    const script = {
      turns: [
        { content: [{ type: 'tool_use', name: 'Bash', input: { command: `cd /testbed && command -v python && python -c 'import sys, pytest, toolz; print(sys.prefix, pytest.__version__, toolz.__file__)' && ${tests}` } }] },
        { content: [{ type: 'tool_use', name: 'Read', input: { file_path: '/testbed/toolz/itertoolz.py', offset: 700, limit: 40 } }] },
        { content: [{ type: 'tool_use', name: 'Edit', input: { file_path: '/testbed/toolz/itertoolz.py', ...goldEdit(instance.patches.gold) } }] },
        { content: [{ type: 'tool_use', name: 'Bash', input: { command: `cd /testbed && ${tests}` } }] },
        { content: [{ type: 'text', text: 'Fixed.' }] },
      ],
    };
    // JSON is YAML: the scripted server reads it as it is.
    const api = await startScriptedApi(JSON.stringify(script));
    try {
      const dataDir = userTempDir('agentpod-instance-data-');
      const r = await agentpod(['swebench', '--data-dir', dataDir, '--task', instance.recordFiles.swebench, '--profile', 'small', '--json'], { env: api.env });
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(r.stderr).toContain(`problem statement from task record ${instance.instanceId}`);
      expect(r.stderr).toContain('test env /opt/miniconda3/envs/testbed found in the image');
      const outcome = lastJson(r.stdout);
      expect(outcome.status).toBe('ok');
      const stream = readFileSync(join(outcome.runDir, 'stdout.jsonl'), 'utf8');
      // Over the host's /usr: the instance's venv, its own pytest, toolz from /testbed; the base's 50 tests, then passing.
      expect(stream).toMatch(/\/opt\/miniconda3\/envs\/testbed\/bin\/python\\n\/opt\/miniconda3\/envs\/testbed 7\.\d+\.\d+ \/testbed\/toolz\/__init__\.py\\n/);
      expect(stream).toMatch(/"[^"]*\b50 passed in [\d.]+s/);
      const patch = readFileSync(join(outcome.runDir, 'patch.diff'), 'utf8');
      expect(patch).toBe(instance.patches.gold);

      // The agent's patch resolves the instance in the eval environment.
      const graded = summary(String((await inSourceImage(evalStep(patch, evalScriptOf('swebench')))).stdout));
      for (const t of [...instance.failToPass, ...instance.passToPass]) expect(graded.get(t), t).toBe('PASSED');
    } finally {
      await api.server.close();
    }
  });
});
