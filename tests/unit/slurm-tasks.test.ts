// What the Slurm engine decides from Slurm's records and the node's facts, without Slurm: rows of tasks that
// died, trial status, the podman set-up of a batch job, the job's environment.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadTaskRows, trialOfRecord, type SlurmView } from '../../src/slurm/collect.js';
import { deadTaskRow, deadTaskRunId } from '../../src/slurm/dead-tasks.js';
import { withNodeLock } from '../../src/slurm/node.js';
import { parseJobcomp, parseScontrolJobs, type TaskRecord } from '../../src/slurm/parse.js';
import { networkFilesystem, podmanJobSetup, runtimeDirFor, type NodeFacts } from '../../src/slurm/podman-env.js';
import { clusterConfigFrom } from '../../src/slurm/query.js';
import { trialStatuses, type ResultRow } from '../../src/slurm/status.js';
import { jobEnvironment } from '../../src/slurm/submit.js';
import { testManifest } from '../helpers/slurm-manifest.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'slurm', name), 'utf8');

const record = (fields: Partial<TaskRecord> & Pick<TaskRecord, 'taskId' | 'state'>): TaskRecord => ({
  jobId: String(200 + (fields.taskId ?? 0)),
  arrayJobId: '100',
  reason: null,
  exitCode: '0:0',
  startedAt: Date.UTC(2026, 11, 1, 12),
  endedAt: Date.UTC(2026, 11, 1, 12, 5),
  node: 'node7',
  restarts: 0,
  from: 'scontrol',
  ...fields,
});

function submitted() {
  const m = testManifest();
  m.arrays[0].jobId = '100'; // small: trials 0, 1
  m.arrays[1].jobId = '101'; // default: trials 2, 3
  return m;
}

describe('tasks that died before publishing', () => {
  const m = submitted();

  it('Slurm\'s state becomes the row\'s status, with the task\'s ids, node, times and log', () => {
    const row = deadTaskRow(m, m.trials[1], record({ taskId: 1, state: 'OUT_OF_MEMORY', exitCode: '0:125' }))!;
    expect(row).toMatchObject({
      id: 'slurm-agentpod-201-r0',
      status: 'oom',
      batch_id: m.batch.id,
      instance_id: 'calc__b-2',
      profile: 'small',
      trial_index: 0,
      memory_limit_bytes: 2 * 1024 ** 3,
      slurm_state: 'OUT_OF_MEMORY',
      slurm_exit_code: '0:125',
      slurm_array_job_id: '100',
      slurm_array_task_id: 1,
      slurm_job_id: '201',
      slurm_node: 'node7',
      duration_ms: 5 * 60_000,
      signal: 'signal 125',
      run_dir: '/shared/agentpod/batches/b0123456789ab/submissions/001/logs/100_1.out',
    });
    expect(row.error).toMatch(/ended OUT_OF_MEMORY .* before agentpod recorded the trial; Slurm's log: .*100_1\.out/);
    const status = (state: string, log: string | null = null) => deadTaskRow(m, m.trials[0], record({ taskId: 0, state }), log)?.status ?? null;
    expect(['TIMEOUT', 'CANCELLED', 'NODE_FAIL', 'FAILED', 'PREEMPTED', 'COMPLETED'].map((s) => status(s))).toEqual(['timeout', 'interrupted', 'failed', 'failed', 'interrupted', null]);
  });

  it('FAILED is read with srun\'s report of agentpod\'s own step: over its --mem is oom, killed by a signal is run again', () => {
    const oom = deadTaskRow(m, m.trials[0], record({ taskId: 0, state: 'FAILED', exitCode: '1:0' }), fixture('srun-task-oom.log'))!;
    expect(oom).toMatchObject({ status: 'oom', slurm_state: 'FAILED', slurm_step_state: 'OUT_OF_MEMORY' });
    expect(oom.error).toMatch(/agentpod's own step over its --mem/);
    expect(deadTaskRow(m, m.trials[0], record({ taskId: 0, state: 'FAILED', exitCode: '137:0' }), fixture('srun-task-killed.log'))).toMatchObject({ status: 'interrupted', slurm_step_state: 'KILLED' });
  });

  it('a task that never started gets no row (a rerun submits it), and the same task always the same id', () => {
    expect(deadTaskRow(m, m.trials[0], record({ taskId: 0, state: 'CANCELLED', startedAt: null }))).toBeNull();
    // Recorded: a throttled array cancelled with two tasks running and one pending.
    for (const [name, parse] of [['scontrol-show-job-array-cancelled.txt', parseScontrolJobs], ['jobcomp-array-cancelled.txt', parseJobcomp]] as const) {
      const tasks = parse(fixture(name)).sort((a, b) => a.taskId! - b.taskId!);
      expect(tasks.map((t) => [t.taskId, t.state, t.node])).toEqual([[0, 'CANCELLED', 'localhost'], [1, 'CANCELLED', 'localhost'], [2, 'CANCELLED', null]]);
      expect(tasks.map((t) => deadTaskRow(m, m.trials[t.taskId!], { ...t, arrayJobId: '100' })?.status ?? null)).toEqual(['interrupted', 'interrupted', null]);
    }
    expect(deadTaskRunId('c1', record({ taskId: 0, state: 'FAILED', jobId: '77', restarts: 2 }))).toBe('slurm-c1-77-r2');
  });

  it('rows only for ended tasks without a published shard; trials found from array job id + task id', () => {
    const ended = new Map<string, TaskRecord>([
      ['100_0', record({ arrayJobId: '100', taskId: 0, jobId: '200', state: 'CANCELLED' })],
      ['100_1', record({ arrayJobId: '100', taskId: 1, jobId: '201', state: 'OUT_OF_MEMORY' })],
      ['101_2', record({ arrayJobId: '101', taskId: 2, jobId: '202', state: 'COMPLETED' })],
    ]);
    const view: SlurmView = { submissions: [m], config: clusterConfigFrom(new Map()), live: [], ended };
    expect(trialOfRecord([m], { arrayJobId: '101', taskId: 3 })?.trial).toMatchObject({ index: 3, instanceId: 'calc__b-2', profile: 'default' });
    expect(trialOfRecord([m], { arrayJobId: '999', taskId: 0 })).toBeNull();
    const rows = deadTaskRows(view, [{ submission: 1, index: 0, jobId: '200' }]);
    expect(rows.map((r) => [r.instance_id, r.status])).toEqual([['calc__b-2', 'oom']]);
  });
});

describe('batch status per trial', () => {
  const m = submitted();
  const row = (index: number, status: string, fields: Partial<ResultRow> = {}): ResultRow => ({
    id: `run-${index}-${status}`,
    ...m.trials[index],
    status,
    startedAt: 1000 + index,
    slurmState: 'COMPLETED',
    slurmNode: 'node7',
    error: null,
    ...fields,
  });

  it('done with its result, running, pending, ended without a result, and a finished row beats an older interrupted one', () => {
    const view: SlurmView = {
      submissions: [m],
      config: clusterConfigFrom(new Map()),
      live: [record({ arrayJobId: '101', taskId: 2, jobId: '202', state: 'RUNNING', from: 'squeue' }), record({ arrayJobId: '101', taskId: 3, jobId: '101', state: 'PENDING', reason: 'Resources', from: 'squeue', startedAt: null })],
      ended: new Map([['100_1', record({ arrayJobId: '100', taskId: 1, jobId: '201', state: 'OUT_OF_MEMORY' })]]),
    };
    const rows = [row(0, 'interrupted', { startedAt: 1 }), row(0, 'ok', { startedAt: 5 })];
    const statuses = trialStatuses(view, rows);
    expect(statuses.map((t) => [t.index, t.state, t.result, t.job, t.slurmState])).toEqual([
      [0, 'done', 'ok', null, 'COMPLETED'],
      [1, 'ended', null, '100_1', 'OUT_OF_MEMORY'],
      [2, 'running', null, '101_2', 'RUNNING'],
      [3, 'pending', null, '101_3', 'PENDING'],
    ]);
    expect(statuses[1].detail).toMatch(/OUT_OF_MEMORY before agentpod recorded it/);
    expect(statuses[3].detail).toBe('Resources');
  });
});

describe('rootless podman in a batch job', () => {
  const facts: NodeFacts = { uid: 1005, xdgRuntimeDir: undefined, xdgRuntimeDirUsable: false, graphRoot: '/home/u/.local/share/containers/storage', graphRootFsType: 0xef53, nodeDir: '/tmp/agentpod-1005' };

  it('no runtime dir in the job: a stable one per user and node; the user\'s own storage on a local disk', () => {
    const s = podmanJobSetup(facts);
    expect(s.env).toEqual({ XDG_RUNTIME_DIR: runtimeDirFor(1005) });
    expect(runtimeDirFor(1005)).toBe('/tmp/podman-run-1005');
    expect(s.globalArgs).toEqual(['--cgroup-manager=cgroupfs', '--events-backend=file']);
    expect(s.storage).toEqual({ kind: 'user', graphRoot: facts.graphRoot });
  });

  it('the submitter\'s XDG_RUNTIME_DIR that does not exist here is replaced; a usable one is kept', () => {
    expect(podmanJobSetup({ ...facts, xdgRuntimeDir: '/run/user/1005' }).env).toEqual({ XDG_RUNTIME_DIR: '/tmp/podman-run-1005' });
    expect(podmanJobSetup({ ...facts, xdgRuntimeDir: '/run/user/1005', xdgRuntimeDirUsable: true }).env).toEqual({});
  });

  it('storage on NFS, Lustre or GPFS (or unknown) moves to a per-node directory', () => {
    for (const [type, name] of [[0x6969, 'nfs'], [0x0bd00bd0, 'lustre'], [0x47504653, 'gpfs']] as const) {
      const s = podmanJobSetup({ ...facts, graphRootFsType: type });
      expect(s.storage).toMatchObject({ kind: 'node', root: '/tmp/agentpod-1005/storage', runRoot: '/tmp/agentpod-1005/run', reason: expect.stringContaining(name) });
      expect(s.globalArgs).toEqual(['--cgroup-manager=cgroupfs', '--events-backend=file', '--root', '/tmp/agentpod-1005/storage', '--runroot', '/tmp/agentpod-1005/run']);
    }
    expect(podmanJobSetup({ ...facts, graphRoot: null, graphRootFsType: null }).storage.kind).toBe('node');
    expect(networkFilesystem(0xef53)).toBeNull();
  });
});

describe("the job's environment", () => {
  it('what agentpod and the agent need, never a secret', () => {
    const env = jobEnvironment({
      PATH: '/usr/bin', HOME: '/home/u', ANTHROPIC_BASE_URL: 'http://x', ANTHROPIC_API_KEY: 'sk-secret', CLAUDE_CODE_OAUTH_TOKEN: 't',
      AGENTPOD_CLAUDE: '/opt/claude', AGENTPOD_DATA_DIR: '/data', HTTPS_PROXY: 'http://proxy', AWS_SECRET_ACCESS_KEY: 'x', LANG: 'C.UTF-8',
    });
    expect(env).toEqual({ PATH: '/usr/bin', ANTHROPIC_BASE_URL: 'http://x', AGENTPOD_CLAUDE: '/opt/claude', HTTPS_PROXY: 'http://proxy', LANG: 'C.UTF-8' });
  });
});

describe('the node lock (one permission fix of an image per node)', () => {
  it('runs holders one at a time, and takes over the lock of a dead task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentpod-lock-'));
    const signal = new AbortController().signal;
    const order: string[] = [];
    const hold = (name: string) =>
      withNodeLock(dir, 'docker.io/x:1', signal, async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 300));
        order.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    // A lock left by a task that died (its pid is no agentpod any more).
    const stale = join(dir, 'locks', `${createHash('sha256').update('docker.io/y:1').digest('hex').slice(0, 16)}.lock`);
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'pid'), '999999');
    expect(await withNodeLock(dir, 'docker.io/y:1', signal, async () => 'taken over')).toBe('taken over');
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  });
});
