// Grading for real on the realistic instance (a Debian rootfs, a venv at SWE-bench's path, /testbed a real
// project with a real bug): runs carrying each patch variant graded by `agentpod grade` in a fresh container of
// the source image, as the test user; a batch of 2 profiles × 2 repeats graded after its trials.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open.js';
import type { EvaluationRow } from '../../src/grading/store.js';
import type { Instance } from '../../src/instances/instance.js';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { parseTaskRecord } from '../../src/swebench/task.js';
import { insertRun } from '../helpers/analysis-db.js';
import { goldEdit, testInstance } from '../helpers/instance.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, isRoot, podmanAsTestUser, testUser, userTempDir } from '../helpers/user.js';

let instance: Instance;
let dataDir: string;
const suffix = randomBytes(3).toString('hex');

/** Every file under `dir` to the test user (the test writes as root; agentpod runs as that user). */
function giveToTestUser(dir: string): void {
  if (!isRoot) return;
  chownSync(dir, testUser.uid, testUser.gid);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) giveToTestUser(path);
    else chownSync(path, testUser.uid, testUser.gid);
  }
}

type RecordShape = 'swebench' | 'swerebench';

/** A finished trial of the instance whose agent left `patch`: its row, its folder with patch.diff and task.json. */
function trialWithPatch(name: string, patch: string, shape: RecordShape = 'swebench', sourceImage = instance.image): string {
  const runId = `grade-${suffix}-${name}`;
  const runDir = join(dataDir, 'runs', runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'patch.diff'), patch);
  writeFileSync(join(runDir, 'task.json'), JSON.stringify(parseTaskRecord(instance.records[shape], shape)));
  const db = openDb(join(dataDir, 'agentpod.db'));
  insertRun(db, { id: runId, run_dir: runDir, image: instance.image, source_image: sourceImage, instance_id: instance.instanceId, base_commit: instance.baseCommit, patch_bytes: Buffer.byteLength(patch) });
  db.close();
  giveToTestUser(dataDir);
  return runId;
}

async function grade(args: string[]): Promise<{ exitCode: number; rows: { runId: string; evaluation?: EvaluationRow; skipped?: string; error?: string }[]; stderr: string }> {
  const r = await agentpod(['grade', '--data-dir', dataDir, '--json', ...args]);
  expect(String(r.stderr)).not.toMatch(/internal error/);
  return { exitCode: r.exitCode ?? -1, rows: r.stdout ? JSON.parse(String(r.stdout)) : [], stderr: String(r.stderr) };
}

const readDb = () => new Database(join(dataDir, 'agentpod.db'), { readonly: true });

async function containersOf(label: string): Promise<string[]> {
  const ps = await podmanAsTestUser(['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']);
  return String(ps.stdout).split('\n').filter(Boolean);
}

beforeAll(async () => {
  instance = await testInstance();
  dataDir = userTempDir('agentpod-grading-');
}, 300_000);

describe('grading a run on the realistic instance', () => {
  it('the gold patch resolves it FULL: harness-shaped report.json, the eval files, the test run sampled, no container left', async () => {
    const runId = trialWithPatch('gold', instance.patches.gold);
    const { exitCode, rows, stderr } = await grade([runId]);
    expect(exitCode, stderr).toBe(0);
    const e = rows[0].evaluation!;
    expect(e).toMatchObject({ status: 'resolved', resolution: 'FULL', attempt: 1, f2p_success: instance.failToPass.length, f2p_failure: 0, p2p_success: instance.passToPass.length, p2p_failure: 0, test_exit_code: 0, parser: 'parse_log_pytest', eval_script_origin: 'eval_script', patch_applied_with: 'git apply --verbose', test_patch_applied: 1 });
    const report = JSON.parse(readFileSync(join(dataDir, 'runs', runId, 'eval', 'report.json'), 'utf8'));
    expect(Object.keys(report)).toEqual([instance.instanceId]);
    expect(report[instance.instanceId]).toMatchObject({ patch_is_None: false, patch_exists: true, patch_successfully_applied: true, resolved: true });
    expect(report[instance.instanceId].tests_status.FAIL_TO_PASS).toEqual({ success: instance.failToPass, failure: [] });
    for (const file of ['eval.sh', 'test_output.txt', 'report.json', 'apply.log', 'patch.diff']) expect(existsSync(join(dataDir, 'runs', runId, 'eval', file)), file).toBe(true);
    const log = readFileSync(e.log_path!, 'utf8');
    expect(log).toContain("+ : '>>>>> Start Test Output'");
    expect(log).toMatch(/>>>>> Test Exit Code: 0/);
    const db = readDb();
    expect(db.prepare('SELECT eval_status, resolution FROM runs WHERE id = ?').get(runId)).toEqual({ eval_status: 'resolved', resolution: 'FULL' });
    const samples = db.prepare('SELECT COUNT(*) AS n FROM samples WHERE run_id = ?').get(e.id) as { n: number };
    db.close();
    expect(samples.n).toBeGreaterThan(0);
    expect(e.sample_count).toBe(samples.n);
    expect(e.peak_memory_bytes).toBeGreaterThan(10e6);
    expect(await containersOf(`agentpod.run-id=${runId}`)).toEqual([]);
  });

  it('grades a SWE-rebench record (install_config) the same way', async () => {
    const { rows } = await grade([trialWithPatch('gold-rebench', instance.patches.gold, 'swerebench')]);
    expect(rows[0].evaluation).toMatchObject({ status: 'resolved', resolution: 'FULL', eval_script_origin: 'install_config' });
  });

  it('an empty patch is empty_patch without running anything; a patch breaking PASS_TO_PASS tests is unresolved naming them', async () => {
    const empty = trialWithPatch('empty', '');
    const breaks = trialWithPatch('breaks', instance.patches.breaksPassToPass.patch);
    const partial = trialWithPatch('partial', instance.patches.partial.patch);
    const { rows } = await grade([empty, breaks, partial]);
    expect(rows[0].evaluation).toMatchObject({ status: 'empty_patch', resolution: null, container_name: null });
    const b = rows[1].evaluation!;
    expect(b).toMatchObject({ status: 'unresolved', resolution: 'NO', f2p_failure: 0, p2p_failure: instance.patches.breaksPassToPass.fails.length });
    for (const t of instance.patches.breaksPassToPass.fails) expect(b.message).toContain(t);
    expect(JSON.parse(b.tests_status!).PASS_TO_PASS.failure).toEqual(instance.patches.breaksPassToPass.fails);
    expect(rows[2].evaluation).toMatchObject({ status: 'unresolved', resolution: 'PARTIAL' });
  });

  it('a source image that is gone is an error with its reason, and no container', async () => {
    const gone = `localhost/agentpod-test-${suffix}/gone:1`;
    const { rows } = await grade([trialWithPatch('gone', instance.patches.gold, 'swebench', gone)]);
    expect(rows[0].evaluation).toMatchObject({ status: 'error', message: `the source image ${gone} is gone (podman image inspect finds no such image)`, container_name: null });
  });

  it('a patch no fallback applies is patch_failed, with the apply log kept and no tests run', async () => {
    const runId = trialWithPatch('noapply', instance.patches.doesNotApply.patch);
    const e = (await grade([runId])).rows[0].evaluation!;
    expect(e).toMatchObject({ status: 'patch_failed', log_path: null, report_path: null });
    const applyLog = readFileSync(join(e.eval_dir, 'apply.log'), 'utf8');
    for (const cmd of ['git apply --verbose', 'git apply --verbose --3way', 'git apply --verbose --reject', 'patch --batch --forward --fuzz=5 -p1 -i']) expect(applyLog).toContain(`>>>>> ${cmd}`);
  });

  it('a test that hangs is a timeout of the evaluation profile, the container stopped and removed', async () => {
    const profile = join(userTempDir('agentpod-grading-profile-'), 'quick-eval.yaml');
    writeFileSync(profile, 'timeout: 20s\n');
    chmodSync(profile, 0o644);
    const runId = trialWithPatch('hangs', instance.patches.hangs.patch);
    const started = Date.now();
    const e = (await grade([runId, '--eval-profile', profile])).rows[0].evaluation!;
    expect(e).toMatchObject({ status: 'timeout', eval_profile: 'quick-eval', timeout_ms: 20_000, report_path: null });
    expect(Date.now() - started).toBeLessThan(90_000);
    expect(readFileSync(e.log_path!, 'utf8')).toMatch(/\n\nTimeout error: 20 seconds exceeded\.$/);
    expect(await containersOf(`agentpod.run-id=${runId}`)).toEqual([]);
  });

  it('keeps every grading: a run with a verdict is skipped unless --regrade, which adds attempt 2', async () => {
    const runId = trialWithPatch('regrade', instance.patches.gold);
    await grade([runId]);
    const again = await grade([runId]);
    expect(again.rows[0].skipped).toBe('already graded: resolved');
    const regraded = await grade([runId, '--regrade', '--test-cmd', `pytest -rA -k "not test_partition_all"`]);
    // With the F2P tests deselected they are missing from the log: missing tests fail.
    expect(regraded.rows[0].evaluation).toMatchObject({ attempt: 2, status: 'unresolved', eval_script_origin: 'test-cmd', f2p_failure: instance.failToPass.length });
    const db = readDb();
    expect(db.prepare('SELECT attempt, status FROM evaluations WHERE run_id = ? ORDER BY attempt').all(runId)).toEqual([{ attempt: 1, status: 'resolved' }, { attempt: 2, status: 'unresolved' }]);
    expect(db.prepare('SELECT eval_status FROM runs WHERE id = ?').get(runId)).toEqual({ eval_status: 'unresolved' });
    db.close();
  });

  it('Ctrl-C during the tests stops and removes the container and writes no row', async () => {
    const runId = trialWithPatch('interrupt', instance.patches.hangs.patch);
    const child = agentpod(['grade', '--data-dir', dataDir, runId]);
    let owner: number | undefined;
    for (let i = 0; i < 240 && owner === undefined; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const ps = await podmanAsTestUser(['ps', '--filter', `label=agentpod.run-id=${runId}`, '--format', '{{index .Labels "agentpod.owner-pid"}}']);
      owner = Number(String(ps.stdout).trim()) || undefined;
    }
    expect(owner, 'the grading container never ran').toBeDefined();
    process.kill(owner!, 'SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(await containersOf(`agentpod.run-id=${runId}`)).toEqual([]);
    const db = readDb();
    expect(db.prepare('SELECT COUNT(*) AS n FROM evaluations WHERE run_id = ?').get(runId)).toEqual({ n: 0 });
    db.close();
    expect(existsSync(join(dataDir, 'runs', runId, 'eval', 'attempt-1'))).toBe(false);
  });
});

describe('grading the trials of a batch', () => {
  let api: { server: MockApiServer; env: Record<string, string> };
  let batchData = '';
  afterAll(async () => api?.server.close());

  it('grades 2 profiles × 2 repeats right after each run; query resolved gives the rates with their intervals', async () => {
    const edit = goldEdit(instance.patches.gold);
    api = await startScriptedApi(`
turns:
  - content:
      - { type: tool_use, name: Read, input: { file_path: /testbed/toolz/itertoolz.py } }
  - content:
      - { type: tool_use, name: Edit, input: ${JSON.stringify({ file_path: '/testbed/toolz/itertoolz.py', ...edit })} }
  - content:
      - { type: text, text: "Fixed partition_all." }
`);
    const tasks = join(userTempDir('agentpod-grading-tasks-'), 'tasks.jsonl');
    writeFileSync(tasks, `${JSON.stringify(instance.records.swebench)}\n`);
    chmodSync(tasks, 0o644);
    batchData = userTempDir('agentpod-grading-batch-');
    const r = await agentpod(['batch', '--data-dir', batchData, '--tasks', tasks, '--profiles', 'small,default', '--repeat', '2', '--parallel', '2', '--name', `graded-${suffix}`, '--json'], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout).trim())).toMatchObject({ status: 'done', total: 4, counts: { ok: 4 }, verdicts: { resolved: 4 } });
    expect(String(r.stderr).match(/: ok in .*; resolved \(FULL\)/g)).toHaveLength(4);
    const q = await agentpod(['query', 'resolved', '--data-dir', batchData, '--batch', `graded-${suffix}`, '--json']);
    const rows = JSON.parse(String(q.stdout));
    expect(rows.map((x: { profile: string }) => x.profile)).toEqual(['small', 'default']);
    for (const row of rows) {
      expect(row).toMatchObject({ trials: 2, graded: 2, resolved: 2, resolve_rate: 1, unresolved: 0, ungraded: 0 });
      // Wilson 95 % for 2 of 2: 0.342 … 1.
      expect(row.ci95_low).toBeCloseTo(0.342, 3);
      expect(row.ci95_high).toBe(1);
    }
  }, 600_000);

  it('a trial\'s replay is graded like the trial, against the original\'s record', async () => {
    expect(batchData, 'the batch case ran').not.toBe('');
    const db = new Database(join(batchData, 'agentpod.db'), { readonly: true });
    const { id } = db.prepare("SELECT id FROM runs WHERE batch_id = ? AND profile = 'small' ORDER BY id LIMIT 1").get(`graded-${suffix}`) as { id: string };
    db.close();
    const r = await agentpod(['replay', '--data-dir', batchData, id, '--profile', 'default', '--think-time', 'none', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
    expect(outcome.replay).toMatchObject({ originalRunId: id, divergedCalls: 0 });
    expect(outcome.replay.replayPatchSha256).toBe(outcome.replay.originalPatchSha256);
    expect(outcome.evaluation).toMatchObject({ run_id: outcome.runId, status: 'resolved', resolution: 'FULL', f2p_success: instance.failToPass.length });
    expect(await containersOf(`agentpod.run-id=${outcome.runId}`)).toEqual([]);
  }, 300_000);
});
