// `agentpod batch --slurm` for real, on the single-node cluster of scripts/slurm-cluster.sh, as the non-root
// test user, with the real Claude Code CLI against the scripted API: arrays of trials merged into one database,
// an OOM under the profile's limit, `batch cancel` mid-run, a killed task resubmitted alone, merging twice.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calcFixScript, calcImageSpec } from '../../src/bench/test-images.js';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { fixedImageName } from '../../src/swebench/image-name.js';
import { goldEdit, testInstance } from '../helpers/instance.js';
import { startScriptedApi } from '../helpers/mock.js';
import { checkCluster, runningTasks, UP_HINT, waitFor, waitForJobs } from '../helpers/slurm.js';
import { buildTestImage, containersLabeled, removeTestImages } from '../helpers/testbed.js';
import { agentpod, testUser, userTempDir } from '../helpers/user.js';

const cluster = await checkCluster();
const inCi = process.env.CI === 'true';
if (!cluster.up && !inCi) console.warn(`Slurm integration tests skipped: ${cluster.why}; ${UP_HINT}`);

const FIX_SCRIPT = calcFixScript(true);
/** Each answer takes 3 s: time to cancel or kill a task in flight. */
const SLOW_SCRIPT = FIX_SCRIPT.replace(/- content:/g, '- delay_ms: 3000\n    content:');
/** A tool that allocates 900 MiB: more than the 450 MiB profile, so the step's limit kills it. */
const HOG_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "python3 -c 'b = bytearray(900 << 20); print(len(b))'" } }
  - content:
      - { type: text, text: "Done." }
`;

const suffix = randomBytes(3).toString('hex');
const WITH_ISSUE = `localhost/agentpod-test-${suffix}/slurm-issue:1`;
const NO_ISSUE = `localhost/agentpod-test-${suffix}/slurm-record:1`;
const TIMEOUT = 240_000;

type Api = { server: MockApiServer; env: Record<string, string> };
let fast: Api;
let slow: Api;
let hog: Api;
let tasksFile: string;
let oneTaskFile: string;
let tinyProfile: string;

function userFile(name: string, content: string): string {
  const file = join(userTempDir('agentpod-slurm-in-'), name);
  writeFileSync(file, content);
  chmodSync(file, 0o644);
  return file;
}

const openDb = (dataDir: string) => new Database(join(dataDir, 'agentpod.db'), { readonly: true });
const rows = (dataDir: string, sql: string, ...params: unknown[]) => {
  const db = openDb(dataDir);
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
};
const lastJson = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);

interface Submitted {
  batchId: string;
  batchDir: string;
  submission: number;
  arrays: { jobId: string; profile: string; array: string; tasks: number }[];
  mergeJobId: string;
}

async function submit(args: string[], api: Api): Promise<Submitted> {
  // The tiny images here have no test environment: grading on Slurm is tested on the realistic instance below.
  const r = await agentpod(['batch', '--slurm', '--json', '--no-grade', ...args], { env: api.env });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return lastJson(r.stdout) as Submitted;
}

const allJobs = (s: Submitted) => [...s.arrays.map((a) => a.jobId), s.mergeJobId];

/** Processes of the test user still inside a Slurm job's cgroup (a task's agentpod, podman, conmon, a container). */
function userProcessesInSlurmJobs(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!new RegExp(`^Uid:\\s+${testUser.uid}\\s`, 'm').test(status)) continue;
      if (/\/slurm[^/\n]*\/uid_\d+\/job_\d+/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

if (!cluster.up && inCi) {
  describe('agentpod batch --slurm', () => {
    it('needs the test cluster up', () => {
      throw new Error(`the Slurm cluster is not up in CI: ${cluster.why}; ${UP_HINT}`);
    });
  });
}

describe.skipIf(!cluster.up)('agentpod batch --slurm', () => {
  beforeAll(async () => {
    [fast, slow, hog] = await Promise.all([startScriptedApi(FIX_SCRIPT), startScriptedApi(SLOW_SCRIPT), startScriptedApi(HOG_SCRIPT)]);
    await buildTestImage(calcImageSpec(WITH_ISSUE, true));
    await buildTestImage(calcImageSpec(NO_ISSUE, false));
    tasksFile = userFile(
      'tasks.jsonl',
      [
        { instance_id: 'calc__issue-1', image_name: WITH_ISSUE },
        { instance_id: 'calc__record-2', docker_image: NO_ISSUE, problem_statement: 'calc.add(2, 3) returns -1' },
      ]
        .map((t) => JSON.stringify(t))
        .join('\n'),
    );
    oneTaskFile = userFile('one.jsonl', JSON.stringify({ instance_id: 'calc__issue-1', image_name: WITH_ISSUE }));
    tinyProfile = userFile('tiny.yaml', 'description: 450 MiB, 1 CPU\nmemory: 450m\ncpus: 1\ntimeout: 5m\n');
  }, 300_000);

  afterAll(async () => {
    await Promise.all([fast, slow, hog].map((a) => a?.server.close()));
    const sources = [WITH_ISSUE, NO_ISSUE];
    await removeTestImages([...sources.map((s) => fixedImageName(s, testUser.uid, testUser.gid)), ...sources]);
  });

  it('grades its trial inside the task, in a step of its own, on the realistic instance; the verdict merges with the run', async () => {
    const instance = await testInstance();
    const gold = await startScriptedApi(`
turns:
  - content:
      - { type: tool_use, name: Read, input: { file_path: /testbed/toolz/itertoolz.py } }
  - content:
      - { type: tool_use, name: Edit, input: ${JSON.stringify({ file_path: '/testbed/toolz/itertoolz.py', ...goldEdit(instance.patches.gold) })} }
  - content:
      - { type: text, text: "Fixed." }
`);
    try {
      const dataDir = userTempDir('agentpod-slurm-graded-');
      const tasks = userFile('instance.jsonl', `${JSON.stringify(instance.records.swebench)}\n`);
      const r = await agentpod(['batch', '--slurm', '--json', '--data-dir', dataDir, '--tasks', tasks, '--profiles', 'small', '--name', `graded-${suffix}`], { env: gold.env });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const s = lastJson(r.stdout) as Submitted;
      await waitForJobs(allJobs(s), TIMEOUT * 2);
      const [run] = rows(dataDir, 'SELECT id, status, eval_status, resolution FROM runs WHERE batch_id = ?', s.batchId);
      expect(run).toMatchObject({ status: 'ok', eval_status: 'resolved', resolution: 'FULL' });
      const [evaluation] = rows(dataDir, 'SELECT * FROM evaluations WHERE run_id = ?', run.id);
      expect(evaluation).toMatchObject({ status: 'resolved', f2p_success: instance.failToPass.length, p2p_failure: 0 });
      // Sampled inside its own step's cgroup, like the agent's container.
      expect(evaluation.sample_source).toBe('slurm-container-cgroup');
      expect(Number(evaluation.sample_count)).toBeGreaterThan(0);
      expect(await containersLabeled(`agentpod.run-id=${run.id}`)).toEqual([]);
    } finally {
      await gold.server.close();
    }
  }, TIMEOUT * 3);

  it('runs 2 instances × 2 profiles as two arrays and merges every trial into one database; merging twice changes nothing', async () => {
    const dataDir = userTempDir('agentpod-slurm-data-');
    const args = ['--data-dir', dataDir, '--tasks', tasksFile, '--profiles', 'small,default'];
    const s = await submit(args, fast);
    expect(s.arrays.map((a) => [a.profile, a.array, a.tasks])).toEqual([['small', '0-1', 2], ['default', '2-3', 2]]);
    await waitForJobs(allJobs(s), TIMEOUT);

    const runs = rows(dataDir, 'SELECT * FROM runs WHERE batch_id = ? ORDER BY slurm_array_task_id', s.batchId);
    expect(runs.map((r) => [r.instance_id, r.profile, r.status, r.slurm_state])).toEqual([
      ['calc__issue-1', 'small', 'ok', 'COMPLETED'],
      ['calc__record-2', 'small', 'ok', 'COMPLETED'],
      ['calc__issue-1', 'default', 'ok', 'COMPLETED'],
      ['calc__record-2', 'default', 'ok', 'COMPLETED'],
    ]);
    for (const r of runs) {
      // Samples from the container's cgroup inside the step, whose limit is the profile's.
      expect(r).toMatchObject({ sample_source: 'slurm-container-cgroup', limits_enforced: 1, memory_max_read: String(r.memory_limit_bytes), patch_files: 1, slurm_node: 'localhost', slurm_array_job_id: s.arrays[r.profile === 'small' ? 0 : 1].jobId });
      expect(r.cpu_max_read).toEqual(r.profile === 'small' ? expect.stringMatching(/^cpuset \d$/) : expect.stringMatching(/^cpuset \d-\d$/));
      expect(r.slurm_cpus).toBe(r.profile === 'small' ? 1 : 2);
      expect(Number(r.sample_count)).toBeGreaterThan(5);
      expect(readFileSync(join(String(r.run_dir), 'patch.diff'), 'utf8')).toContain('+    return a + b');
      expect(existsSync(join(String(r.run_dir), 'trace.jsonl'))).toBe(true);
    }
    const counted = rows(dataDir, `SELECT r.id, (SELECT COUNT(*) FROM samples WHERE run_id = r.id) AS samples,
      (SELECT COUNT(*) FROM messages m WHERE m.session_id = r.session_id) AS messages,
      (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = r.session_id) AS tools FROM runs r WHERE batch_id = ?`, s.batchId);
    for (const c of counted) {
      expect(c.samples).toBeGreaterThan(5);
      expect(c.messages).toBeGreaterThan(2);
      expect(c.tools).toBe(1);
    }
    expect(rows(dataDir, 'SELECT status FROM batches WHERE id = ?', s.batchId)).toEqual([{ status: 'done' }]);
    expect(rows(dataDir, 'SELECT COUNT(*) AS n FROM merged_shards')).toEqual([{ n: 4 }]);

    // The merge job already merged; by hand, twice more: nothing changes.
    const tables = ['runs', 'samples', 'messages', 'tool_uses', 'ingest_files', 'host_snapshots'];
    const counts = () => tables.map((t) => rows(dataDir, `SELECT COUNT(*) AS n FROM ${t}`)[0].n);
    const before = counts();
    for (let i = 0; i < 2; i++) {
      const m = await agentpod(['merge', '--data-dir', dataDir, '--batch-dir', s.batchDir, '--json']);
      expect(m.exitCode, String(m.stderr)).toBe(0);
      expect(lastJson(m.stdout).shards.map((x: { status: string }) => x.status)).toEqual(['already merged', 'already merged', 'already merged', 'already merged']);
    }
    expect(counts()).toEqual(before);

    // Status, and a rerun of the same command that has nothing left to submit.
    const st = await agentpod(['batch', 'status', s.batchId, '--data-dir', dataDir, '--json']);
    expect(st.exitCode, String(st.stderr)).toBe(0);
    expect(JSON.parse(String(st.stdout)).counts).toMatchObject({ done: 4, running: 0, pending: 0, results: { ok: 4 } });
    const again = await agentpod(['batch', '--slurm', '--no-grade', ...args], { env: fast.env });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(again.stderr).toContain('4 finished earlier, 0 to run');
    expect(again.stdout).toContain('nothing to submit');

    // The API key went to the job in the 0600 file, never in its environment or script on the controller.
    const secrets = join(s.batchDir, 'secrets.json');
    expect((await execa('stat', ['-c', '%a %u', secrets])).stdout).toBe(`600 ${testUser.uid}`);
    const ctld = (await execa('scontrol', ['show', 'config'])).stdout.match(/^StateSaveLocation\s*=\s*(\S+)/m)?.[1];
    if (ctld && existsSync(ctld)) {
      const grep = await execa('grep', ['-rl', fast.env.ANTHROPIC_API_KEY, ctld, s.batchDir], { reject: false });
      expect(String(grep.stdout).split('\n').filter(Boolean)).toEqual([secrets]);
    }
  }, 400_000);

  it('records a trial that goes over its profile\'s memory as oom, with Slurm\'s state', async () => {
    const dataDir = userTempDir('agentpod-slurm-oom-');
    const s = await submit(['--data-dir', dataDir, '--tasks', oneTaskFile, '--profiles', tinyProfile], hog);
    await waitForJobs(allJobs(s), TIMEOUT);
    const [run] = rows(dataDir, 'SELECT * FROM runs WHERE batch_id = ?', s.batchId);
    const MiB = 1024 ** 2;
    expect(run).toMatchObject({ status: 'oom', slurm_state: 'FAILED', slurm_exit_code: '3:0', limits_enforced: 1, memory_max_read: String(450 * MiB), sample_source: 'slurm-container-cgroup' });
    expect(Number(run.oom_kill_events)).toBeGreaterThanOrEqual(1);
    // The step's limit held: never more than the profile's memory.
    expect(Number(run.peak_memory_bytes)).toBeLessThanOrEqual(450 * MiB);
    expect(Number(run.peak_memory_bytes)).toBeGreaterThan(300 * MiB);
  }, 300_000);

  it('batch cancel mid-run: running trials stop their containers and are recorded interrupted, nothing is left on the node', async () => {
    const dataDir = userTempDir('agentpod-slurm-cancel-');
    const s = await submit(['--data-dir', dataDir, '--tasks', oneTaskFile, '--profiles', 'small', '--repeat', '3', '--name', `cancel-${suffix}`], slow);
    const [array] = s.arrays;
    await waitFor('two trials with their container running', TIMEOUT, async () => (await runningTasks(array.jobId)).length === 2 && (await containersLabeled(`agentpod.batch-id=cancel-${suffix}`)).length === 2);
    const c = await agentpod(['batch', 'cancel', s.batchId, '--data-dir', dataDir, '--json']);
    expect(c.exitCode, String(c.stderr)).toBe(0);
    expect(lastJson(c.stdout)).toMatchObject({ running: 2, pending: 1, left: 0 });
    await waitForJobs(allJobs(s), TIMEOUT);
    expect(await containersLabeled(`agentpod.batch-id=cancel-${suffix}`)).toEqual([]);
    expect(userProcessesInSlurmJobs()).toEqual([]);
    const runs = rows(dataDir, 'SELECT status, slurm_state, signal FROM runs WHERE batch_id = ?', s.batchId);
    // The pending trial never started: no row, a rerun runs it.
    expect(runs).toEqual([
      { status: 'interrupted', slurm_state: 'CANCELLED', signal: 'SIGTERM' },
      { status: 'interrupted', slurm_state: 'CANCELLED', signal: 'SIGTERM' },
    ]);
    expect(rows(dataDir, 'SELECT status FROM batches WHERE id = ?', s.batchId)).toEqual([{ status: 'interrupted' }]);
  }, 300_000);

  it('a killed task is recorded from Slurm\'s record and the rerun resubmits it alone', async () => {
    const dataDir = userTempDir('agentpod-slurm-kill-');
    const args = ['--data-dir', dataDir, '--tasks', oneTaskFile, '--profiles', 'small', '--repeat', '2', '--name', `kill-${suffix}`];
    const first = await submit(args, slow);
    const [array] = first.arrays;
    const [victim] = await waitFor('both tasks running', TIMEOUT, async () => {
      const running = await runningTasks(array.jobId);
      return running.length === 2 && (await containersLabeled(`agentpod.batch-id=kill-${suffix}`)).length === 2 ? running.sort() : null;
    });
    await execa('scancel', [victim]);
    await waitForJobs(allJobs(first), TIMEOUT);
    const killedIndex = Number(victim.split('_')[1]);
    const after = rows(dataDir, 'SELECT trial_index, status, slurm_state, slurm_array_task_id FROM runs WHERE batch_id = ? ORDER BY trial_index', first.batchId);
    expect(after).toEqual([
      { trial_index: 0, status: killedIndex === 0 ? 'interrupted' : 'ok', slurm_state: killedIndex === 0 ? 'CANCELLED' : 'COMPLETED', slurm_array_task_id: 0 },
      { trial_index: 1, status: killedIndex === 1 ? 'interrupted' : 'ok', slurm_state: killedIndex === 1 ? 'CANCELLED' : 'COMPLETED', slurm_array_task_id: 1 },
    ]);

    const rerun = await submit(args, fast);
    expect(rerun.submission).toBe(2);
    expect(rerun.arrays.map((a) => [a.array, a.tasks])).toEqual([[String(killedIndex), 1]]);
    await waitForJobs(allJobs(rerun), TIMEOUT);
    const all = rows(dataDir, 'SELECT trial_index, status, slurm_submission FROM runs WHERE batch_id = ? ORDER BY trial_index, started_at', first.batchId);
    expect(all.filter((r) => r.status === 'ok').map((r) => r.trial_index)).toEqual([0, 1]);
    expect(all.filter((r) => r.slurm_submission === 2)).toEqual([{ trial_index: killedIndex, status: 'ok', slurm_submission: 2 }]);
    expect(rows(dataDir, 'SELECT status FROM batches WHERE id = ?', first.batchId)).toEqual([{ status: 'done' }]);
  }, 400_000);
});
