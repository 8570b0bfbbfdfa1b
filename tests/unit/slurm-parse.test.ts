// Parsers of Slurm's outputs, on outputs recorded from real runs on the single-node test cluster
// (tests/fixtures/slurm, Slurm 22.05.8): an array with a completed, a failed, an OOM-killed, a cancelled and
// two timed-out tasks, a throttled array with pending tasks, a dependent job.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseExitCode,
  parseJobcomp,
  parseKeyValueLine,
  parseSacct,
  parseSbatchParsable,
  parseScontrolConfig,
  parseScontrolJobs,
  parseSlurmTime,
  parseSqueue,
  stepStateFromSrun,
} from '../../src/slurm/parse.js';
import { clusterConfigFrom, combineRecords } from '../../src/slurm/query.js';
import { deadTaskStatus, taskPhase } from '../../src/slurm/states.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'slurm', name), 'utf8');
const byTask = <T extends { taskId: number | null }>(records: T[]) => [...records].sort((a, b) => (a.taskId ?? -1) - (b.taskId ?? -1));

describe('squeue -h -r --me -o "%A|%F|%K|%T|%r|%S|%N"', () => {
  it('running and throttled pending tasks of an array', () => {
    const tasks = byTask(parseSqueue(fixture('squeue-array.txt')));
    expect(tasks.map((t) => [t.jobId, t.arrayJobId, t.taskId, t.state, t.reason, t.node])).toEqual([
      ['16', '15', 0, 'RUNNING', null, 'localhost'],
      ['17', '15', 1, 'RUNNING', null, 'localhost'],
      // Not started: the task has no job id of its own yet, only the array's.
      ['15', '15', 2, 'PENDING', 'JobArrayTaskLimit', null],
      ['15', '15', 5, 'PENDING', 'JobArrayTaskLimit', null],
    ]);
    expect(tasks[0].startedAt).toBe(parseSlurmTime('2026-12-01T21:43:42'));
    expect(tasks[2].startedAt).toBeNull();
  });

  it('a job that is not an array task has no task id', () => {
    const dependent = parseSqueue(fixture('squeue-array-and-dependent.txt')).find((t) => t.jobId === '18');
    expect(dependent).toMatchObject({ arrayJobId: '18', taskId: null, state: 'PENDING', reason: 'Dependency' });
  });
});

describe('scontrol -o show job ARRAY', () => {
  it('every task of the array with its state, exit code, times and node', () => {
    const tasks = byTask(parseScontrolJobs(fixture('scontrol-show-job-array-ended.txt')));
    expect(tasks.map((t) => [t.taskId, t.jobId, t.state, t.exitCode])).toEqual([
      [0, '10', 'COMPLETED', '0:0'],
      [1, '11', 'FAILED', '3:0'],
      [2, '12', 'OUT_OF_MEMORY', '0:125'],
      [3, '13', 'TIMEOUT', '0:15'],
      [4, '14', 'CANCELLED', '0:15'],
      [5, '9', 'TIMEOUT', '0:15'],
    ]);
    expect(tasks.every((t) => t.arrayJobId === '9' && t.node === 'localhost' && t.restarts === 0)).toBe(true);
    expect(tasks[3].endedAt! - tasks[3].startedAt!).toBe(79_000);
  });

  it('while the array runs: running, ended and the last task still pending', () => {
    const tasks = byTask(parseScontrolJobs(fixture('scontrol-show-job-array.txt')));
    expect(tasks.map((t) => [t.taskId, t.state])).toEqual([[0, 'COMPLETED'], [1, 'FAILED'], [2, 'OUT_OF_MEMORY'], [3, 'RUNNING'], [4, 'CANCELLED'], [5, 'RUNNING']]);
  });

  it('keys with ":" and "/" and values up to the next key', () => {
    const kv = parseKeyValueLine('JobId=7 AllocNode:Sid=localhost:4543 CPUs/Task=1 Command=/tmp/x.sh WorkDir=/tmp');
    expect(Object.fromEntries(kv)).toEqual({ JobId: '7', 'AllocNode:Sid': 'localhost:4543', 'CPUs/Task': '1', Command: '/tmp/x.sh', WorkDir: '/tmp' });
  });
});

describe('the jobcomp/filetxt log', () => {
  it('one line per finished task; a cancelled one shows ExitCode 0:0 there, its state is what counts', () => {
    const tasks = byTask(parseJobcomp(fixture('jobcomp-array.txt')));
    expect(tasks.map((t) => [t.taskId, t.jobId, t.state, t.exitCode])).toEqual([
      [0, '10', 'COMPLETED', '0:0'],
      [1, '11', 'FAILED', '3:0'],
      [2, '12', 'OUT_OF_MEMORY', '0:125'],
      [3, '13', 'TIMEOUT', '0:0'],
      [4, '14', 'CANCELLED', '0:0'],
      [5, '9', 'TIMEOUT', '0:0'],
    ]);
    expect(tasks.every((t) => t.from === 'jobcomp' && t.startedAt !== null && t.endedAt !== null)).toBe(true);
  });
});

describe('sacct -X -n -P -o JobIDRaw,JobID,State,ExitCode,Start,End,NodeList (recorded with slurmdbd + MariaDB)', () => {
  it('the same array as scontrol shows it; "CANCELLED by UID" is CANCELLED', () => {
    const tasks = byTask(parseSacct(fixture('sacct-array-ended.txt')));
    expect(tasks.map((t) => [t.taskId, t.jobId, t.arrayJobId, t.state, t.exitCode, t.node])).toEqual([
      [0, '95', '94', 'COMPLETED', '0:0', 'localhost'],
      [1, '96', '94', 'FAILED', '3:0', 'localhost'],
      [2, '97', '94', 'OUT_OF_MEMORY', '0:125', 'localhost'],
      [3, '98', '94', 'TIMEOUT', '0:0', 'localhost'],
      [4, '99', '94', 'CANCELLED', '0:0', 'localhost'],
      [5, '94', '94', 'TIMEOUT', '0:0', 'localhost'],
    ]);
    expect(tasks[3].endedAt! - tasks[3].startedAt!).toBe(75_000);
  });

  it('a throttled array not started yet is one line with a range, and no task', () => {
    expect(fixture('sacct-array-pending.txt')).toMatch(/^100\|100_\[0-3%1\]\|PENDING/);
    expect(parseSacct(fixture('sacct-array-pending.txt'))).toEqual([]);
  });
});

describe('scontrol show config', () => {
  it('what the engine needs of the cluster: MaxArraySize, accounting, the jobcomp log, KillWait', () => {
    const c = clusterConfigFrom(parseScontrolConfig(fixture('scontrol-show-config.txt')));
    expect(c).toMatchObject({
      name: 'agentpod',
      maxArraySize: 1001,
      accounting: false,
      jobCompLog: '/var/tmp/agentpod-slurm/log/jobcomp.log',
      killWaitSeconds: 30,
      minJobAgeSeconds: 300,
      proctrack: 'proctrack/cgroup',
      version: '22.05.8',
    });
    expect(c.taskPlugin).toMatch(/task\/cgroup/);
  });

  it('sacct without accounting says so (the engine then reads scontrol and the jobcomp log)', () => {
    expect(fixture('sacct-disabled.txt')).toMatch(/accounting storage is disabled/);
  });
});

describe('srun on a step\'s end', () => {
  it('Out Of Memory, killed by a signal, cancelled', () => {
    expect(stepStateFromSrun(fixture('srun-task-oom.log'))).toBe('OUT_OF_MEMORY');
    expect(stepStateFromSrun(fixture('srun-task-killed.log'))).toBe('KILLED');
    expect(stepStateFromSrun(fixture('srun-step-cancelled.log'))).toBe('CANCELLED');
    expect(stepStateFromSrun('Resource limits are not supported and ignored on cgroups V1 rootless systems\n')).toBeNull();
  });
});

describe('small formats', () => {
  it('sbatch --parsable, exit codes, times', () => {
    expect(parseSbatchParsable('15\n')).toBe('15');
    expect(parseSbatchParsable('15;cluster2\n')).toBe('15');
    expect(() => parseSbatchParsable('sbatch: error: Batch job submission failed')).toThrow(/no job id/);
    expect(parseExitCode('0:125')).toEqual({ code: 0, signal: 125 });
    expect(parseExitCode(null)).toBeNull();
    expect(parseSlurmTime('Unknown')).toBeNull();
    expect(parseSlurmTime('2026-12-01T21:38:21')).toBe(new Date(2026, 11, 1, 21, 38, 21).getTime());
  });
});

describe('states', () => {
  it('phases, and the status of a task that died before publishing', () => {
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', 'OUT_OF_MEMORY'].map(taskPhase)).toEqual(['pending', 'running', 'running', 'ended', 'ended']);
    expect(['OUT_OF_MEMORY', 'TIMEOUT', 'CANCELLED', 'NODE_FAIL', 'FAILED', 'COMPLETED', 'PENDING'].map(deadTaskStatus)).toEqual(['oom', 'timeout', 'interrupted', 'failed', 'failed', null, null]);
  });

  it('one record per task: sacct first, then scontrol, then jobcomp; the latest end within a source', () => {
    const scontrol = parseScontrolJobs(fixture('scontrol-show-job-array-ended.txt'));
    const jobcomp = parseJobcomp(fixture('jobcomp-array.txt'));
    const combined = combineRecords([], scontrol, jobcomp);
    expect(combined.size).toBe(6);
    expect(combined.get('9_4')).toMatchObject({ from: 'scontrol', exitCode: '0:15' });
    expect(combineRecords([], [], jobcomp).get('9_4')).toMatchObject({ from: 'jobcomp', state: 'CANCELLED' });
  });
});
