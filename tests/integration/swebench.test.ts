// `agentpod swebench` and `agentpod images` for real: SWE-bench-style images built with podman import,
// the permission fix, the real Claude Code CLI against the scripted API, patch capture.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { fixedImageName } from '../../src/swebench/image-name.js';
import { calcImageSpec } from '../../src/bench/test-images.js';
import { startScriptedApi } from '../helpers/mock.js';
import { buildTestImage, containersNamed, imageId, removeTestImages } from '../helpers/testbed.js';
import { agentpod, podmanAsTestUser, testUser, userTempDir } from '../helpers/user.js';

/** Fixes the seeded bug, runs the check (which leaves __pycache__ behind), adds a file with the Write tool. */
const FIX_SCRIPT = `
turns:
  - content:
      - { type: text, text: "Fixing add()." }
      - { type: tool_use, name: Bash, input: { command: "sed -i 's/a - b/a + b/' calc.py && python3 check.py && ls -d __pycache__" } }
  - content:
      - { type: tool_use, name: Write, input: { file_path: "/testbed/CHANGES.md", content: "add() adds again\\n" } }
  - content:
      - { type: text, text: "Fixed." }
`;

const PATH_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "command -v python; python --version" } }
  - content:
      - { type: text, text: "Looked." }
`;

const suffix = randomBytes(3).toString('hex');
const image = (name: string) => `localhost/agentpod-test-${suffix}/${name}:1`;
const CALC = image('calc');
const RETAG = image('retag');
const NO_TESTBED = image('no-testbed');
const CONDA = image('conda');
const NO_ISSUE = image('no-issue');
const fixedOf = (source: string) => fixedImageName(source, testUser.uid, testUser.gid);

let api: { server: MockApiServer; env: Record<string, string> };
let pathApi: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;

const db = () => new Database(join(dataDir, 'agentpod.db'), { readonly: true });
const lastJson = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);

/** An image with /issue.md but no /testbed: the fix must fail, cleanly. */
async function importWithoutTestbed(tag: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-notestbed-'));
  writeFileSync(join(dir, 'issue.md'), 'no repo here\n');
  const tarball = join(dir, 'rootfs.tar');
  await execa('tar', ['--owner=0', '--group=0', '-C', dir, '-cf', tarball, 'issue.md']);
  chmodSync(dir, 0o755);
  chmodSync(tarball, 0o644);
  const r = await podmanAsTestUser(['import', '--quiet', tarball, tag]);
  expect(r.exitCode, String(r.stderr)).toBe(0);
}

/** The calc image plus a fake conda env at SWE-bench's place, added in a container and committed. */
async function buildCondaImage(): Promise<void> {
  const name = `agentpod-test-conda-${suffix}`;
  const script = 'mkdir -p /opt/miniconda3/envs/testbed/bin && printf "#!/bin/sh\\necho Python from-the-testbed-env\\n" > /opt/miniconda3/envs/testbed/bin/python && chmod 755 /opt/miniconda3/envs/testbed/bin/python';
  const mounts = ['/usr', '/lib', '/lib64', '/bin', '/etc'].filter(existsSync).flatMap((p) => ['-v', `${p}:${p}:ro`]);
  const run = await podmanAsTestUser(['run', '--name', name, '--network=none', '--runtime', 'runc', ...mounts, CALC, 'sh', '-c', script]);
  expect(run.exitCode, String(run.stderr)).toBe(0);
  const commit = await podmanAsTestUser(['commit', '--quiet', name, CONDA]);
  expect(commit.exitCode, String(commit.stderr)).toBe(0);
  await podmanAsTestUser(['rm', '-f', name]);
}

/** Every file under the test user's home with size and mtime, but for the parts that may change. */
function homeSnapshot(): Map<string, string> {
  // Claude Code's own state, and rootless podman's (its image store lives in the home).
  const mayChange = [/^\.claude(\/|\.json|$)/, /^\.local\/share\/containers(\/|$)/, /^\.config\/(cni|containers)(\/|$)/, /^\.cache\/containers(\/|$)/];
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(testUser.home, path);
      if (mayChange.some((re) => re.test(rel))) continue;
      if (entry.isDirectory()) walk(path);
      else {
        const st = statSync(path);
        files.set(rel, `${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(testUser.home);
  return files;
}

beforeAll(async () => {
  api = await startScriptedApi(FIX_SCRIPT);
  pathApi = await startScriptedApi(PATH_SCRIPT);
  // Outside the home: the home must not change but for ~/.claude.
  dataDir = userTempDir('agentpod-swe-data-');
  await buildTestImage(calcImageSpec(CALC, true));
  await buildTestImage(calcImageSpec(NO_ISSUE, false));
});

afterAll(async () => {
  await api?.server.close();
  await pathApi?.server.close();
  const sources = [CALC, RETAG, NO_TESTBED, CONDA, NO_ISSUE];
  await removeTestImages([...sources.map(fixedOf), ...sources]);
});

describe('agentpod swebench', () => {
  let firstFixedId: string | null = null;

  it('fixes the root-owned /testbed, runs the agent there and captures its patch without caches', async () => {
    const before = homeSnapshot();
    const gitconfig = join(testUser.home, '.gitconfig');
    const gitconfigBefore = existsSync(gitconfig) ? readFileSync(gitconfig, 'utf8') : null;

    const r = await agentpod(['swebench', '--data-dir', dataDir, '--image', CALC, '--profile', 'small', '--json'], { env: api.env });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`permission fix: chown -R ${testUser.uid}:${testUser.gid} /testbed of ${CALC} → .* in \\d+\\.\\d+ s`));
    expect(r.stderr).toContain(`problem statement from ${CALC}:/issue.md`);
    const outcome = lastJson(r.stdout);
    expect(outcome.status).toBe('ok');
    expect(outcome.fix).toMatchObject({ reused: false, fixedImage: fixedOf(CALC), sourceImage: CALC });

    const patch = readFileSync(join(outcome.runDir, 'patch.diff'), 'utf8');
    expect(patch).toContain('-    return a - b\n+    return a + b');
    expect(patch).toContain('diff --git a/CHANGES.md b/CHANGES.md\nnew file mode 100644');
    expect(patch).not.toMatch(/__pycache__|\.pyc/);
    // The agent really produced the cache the patch leaves out.
    expect(readFileSync(join(outcome.runDir, 'stdout.jsonl'), 'utf8')).toContain('check passed');

    const row = db().prepare('SELECT * FROM runs WHERE id = ?').get(outcome.runId) as Record<string, unknown>;
    expect(row).toMatchObject({
      status: 'ok',
      workdir: '/testbed',
      instance_id: 'calc',
      batch_id: null,
      source_image: CALC,
      fixed_image: fixedOf(CALC),
      test_env: null,
      patch_bytes: Buffer.byteLength(patch),
      patch_files: 2,
    });
    expect(row.base_commit).toMatch(/^[0-9a-f]{40}$/);
    const result = JSON.parse(readFileSync(join(outcome.runDir, 'result.json'), 'utf8'));
    expect(result.swebench).toMatchObject({ baseCommit: row.base_commit, patch: { bytes: row.patch_bytes, files: 2 } });

    expect(homeSnapshot()).toEqual(before);
    expect(existsSync(gitconfig) ? readFileSync(gitconfig, 'utf8') : null).toBe(gitconfigBefore);
    expect(await containersNamed('agentpod-fix-')).toEqual([]);
    firstFixedId = await imageId(fixedOf(CALC));
  });

  it('reuses the cached fixed image on a warm launch: no chown, same image', async () => {
    expect(firstFixedId).not.toBeNull();
    const r = await agentpod(['swebench', '--data-dir', dataDir, '--image', CALC, '--json'], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toContain(`using cached fixed image ${fixedOf(CALC)}`);
    expect(r.stderr).not.toContain('permission fix');
    const outcome = lastJson(r.stdout);
    expect(outcome.fix).toMatchObject({ reused: true, fixedImageId: firstFixedId });
    expect(await imageId(fixedOf(CALC))).toBe(firstFixedId);
    expect(outcome.patch).toMatchObject({ files: 2 });
  });

  it('puts the image\'s conda test env first on PATH and records it', async () => {
    await buildCondaImage();
    const r = await agentpod(['swebench', '--data-dir', dataDir, '--image', CONDA, '--json'], { env: pathApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toContain('test env /opt/miniconda3/envs/testbed found in the image');
    const outcome = lastJson(r.stdout);
    expect(readFileSync(join(outcome.runDir, 'stdout.jsonl'), 'utf8')).toContain('/opt/miniconda3/envs/testbed/bin/python\\nPython from-the-testbed-env');
    const row = db().prepare('SELECT test_env, patch_bytes, patch_files FROM runs WHERE id = ?').get(outcome.runId);
    expect(row).toEqual({ test_env: '/opt/miniconda3/envs/testbed', patch_bytes: 0, patch_files: 0 });
  });

  it('takes the problem statement from a task record, and refuses an empty one (exit 2)', async () => {
    const tasks = join(userTempDir('agentpod-swe-tasks-'), 'tasks.jsonl');
    writeFileSync(tasks, `${JSON.stringify({ instance_id: 'calc__calc-1', image_name: NO_ISSUE, problem_statement: '' })}\n`);
    chmodSync(tasks, 0o644);
    // A record that names no tests cannot be graded: refused before anything runs, unless --no-grade.
    const ungradable = await agentpod(['swebench', '--data-dir', dataDir, '--task', tasks, '--json'], { env: api.env });
    expect(ungradable.exitCode).toBe(2);
    expect(String(ungradable.stderr).trim()).toBe(
      'agentpod: cannot grade: task calc__calc-1 names no log_parser (nor install_config.log_parser) nor a repo: give --log-parser NAME (e.g. parse_log_pytest) (or run without grading: --no-grade)',
    );
    const empty = await agentpod(['swebench', '--data-dir', dataDir, '--task', tasks, '--no-grade', '--json'], { env: api.env });
    expect(empty.exitCode).toBe(2);
    expect(String(empty.stderr).trim().split('\n').pop()).toBe(
      `agentpod: empty problem statement: ${NO_ISSUE} has no /issue.md, and task calc__calc-1 has an empty problem_statement`,
    );
    const noTask = await agentpod(['swebench', '--data-dir', dataDir, '--image', NO_ISSUE], { env: api.env });
    expect(noTask.exitCode).toBe(2);
    expect(noTask.stderr).toContain('no --task record was given');
  });
});

describe('agentpod images', () => {
  it('fixes again when the source tag points at other content, and drops the stale fixed image', async () => {
    await buildTestImage(calcImageSpec(RETAG, true));
    const first = await agentpod(['images', 'fix', RETAG, '--json']);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const fix1 = lastJson(first.stdout);
    expect(fix1.reused).toBe(false);
    const again = lastJson((await agentpod(['images', 'fix', RETAG, '--json'])).stdout);
    expect(again).toMatchObject({ reused: true, fixedImageId: fix1.fixedImageId });

    await buildTestImage({ ...calcImageSpec(RETAG, true), files: { 'calc.py': 'def add(a, b):\n    return b - a\n' } });
    const second = await agentpod(['images', 'fix', RETAG, '--json']);
    expect(second.exitCode, String(second.stderr)).toBe(0);
    expect(second.stderr).toMatch(/is stale .* fixing again/);
    const fix2 = lastJson(second.stdout);
    expect(fix2.reused).toBe(false);
    expect(fix2.sourceImageId).not.toBe(fix1.sourceImageId);
    expect(fix2.fixedImageId).not.toBe(fix1.fixedImageId);
    expect(await imageId(fix1.fixedImageId)).toBeNull();

    const list = await agentpod(['images', 'list', '--json']);
    const entry = (JSON.parse(String(list.stdout)) as { name: string; state: string; uidGid: string }[]).find((i) => i.name === fixedOf(RETAG));
    expect(entry).toMatchObject({ state: 'current', uidGid: `${testUser.uid}:${testUser.gid}` });
    await removeTestImages([fix1.sourceImageId]);
  });

  it('leaves no temp container when the fix fails (an image without /testbed)', async () => {
    await importWithoutTestbed(NO_TESTBED);
    const r = await agentpod(['images', 'fix', NO_TESTBED]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).trim()).toBe(`agentpod: ${NO_TESTBED}: no /testbed directory in the image (is it a SWE-bench image?)`);
    expect(await containersNamed(`agentpod-fix-no-testbed`)).toEqual([]);
    expect(await imageId(fixedOf(NO_TESTBED))).toBeNull();
  });
});
