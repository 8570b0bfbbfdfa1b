// A container in a Slurm step (tests/fixtures/slurm/cgroup-v1: recorded inside a real job of the test cluster,
// a python holding 50 MiB in a container started by `srun --mem=300M --cpus-per-task=1 podman run`).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideLimitsEnforced } from '../../src/sampler/limits.js';
import { locateSource } from '../../src/sampler/locate.js';
import { cpusetCount, openSlurmStepSource, slurmStepOf } from '../../src/sampler/slurm-step.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'slurm', 'cgroup-v1');
const PROC_CGROUP = readFileSync(join(ROOT, 'proc-cgroup'), 'utf8');
const ID = 'f57025593dbe4f2e5dfbef43f5b2812a4d0e98feba84a4291cc8b93275df62ef';
const STEP = '/slurm_localhost/uid_1005/job_44/step_0';
const PID = 5723;
const MiB = 1024 ** 2;

function procRootWith(cgroup: string): string {
  const root = mkdtempSync(join(tmpdir(), 'agentpod-slurm-proc-'));
  mkdirSync(join(root, String(PID)));
  writeFileSync(join(root, String(PID), 'cgroup'), cgroup);
  return root;
}

describe('a container in a Slurm step', () => {
  it('is sampled in its own cgroup inside the step, with the step\'s limits', () => {
    const location = locateSource({ id: ID, pid: PID }, ROOT, procRootWith(PROC_CGROUP));
    expect(location).toEqual({
      kind: 'slurm-step',
      step: {
        kind: 'slurm-container-cgroup',
        step: STEP,
        v1: { memory: join(ROOT, 'memory', STEP, 'task_0', ID), cpuacct: join(ROOT, 'cpuacct', STEP, 'task_0', ID) },
        limits: { memoryMax: join(ROOT, 'memory', STEP, 'memory.limit_in_bytes'), cpuset: join(ROOT, 'cpuset', STEP, 'cpuset.cpus') },
      },
    });
    const source = openSlurmStepSource((location as { step: Parameters<typeof openSlurmStepSource>[0] }).step);
    expect(source.kind).toBe('slurm-container-cgroup');
    const values = source.read();
    // The container's own usage (about the 50 MiB python), not the step's (which holds podman's client too).
    expect(values.memory_current_bytes).toBeGreaterThan(50 * MiB);
    expect(values.memory_current_bytes).toBeLessThan(100 * MiB);
    expect(values.cpu_usage_usec).toBeGreaterThan(0);
    expect(source.readLimits()).toEqual({ memoryMax: String(300 * MiB), cpuMax: 'cpuset 0' });
    source.close();
  });

  it('without a cgroup of its own, the step\'s cgroup is sampled (shared with podman\'s client and conmon)', () => {
    const cgroup = `4:memory:${STEP}/task_0\n3:cpuset:${STEP}\n2:cpuacct:${STEP}/task_0\n1:cpu:/\n0::/\n`;
    const location = locateSource({ id: ID, pid: PID }, ROOT, procRootWith(cgroup));
    expect(location).toMatchObject({ kind: 'slurm-step', step: { kind: 'slurm-step-cgroup', v1: { memory: join(ROOT, 'memory', STEP), cpuacct: join(ROOT, 'cpuacct', STEP) } } });
  });

  it('the batch and extern steps are not the container\'s (agentpod itself runs in the batch step)', () => {
    expect(slurmStepOf('/slurm_n/uid_1/job_44/step_batch/task_0')).toBeNull();
    expect(slurmStepOf('/slurm_n/uid_1/job_44/step_extern')).toBeNull();
    expect(slurmStepOf(`${STEP}/task_0/${ID}`)).toBe(STEP);
    expect(slurmStepOf('/system.slice/slurmstepd.scope/job_12/step_3/user/task_0')).toBe('/system.slice/slurmstepd.scope/job_12/step_3');
    expect(slurmStepOf('/user.slice/user-1000.slice')).toBeNull();
    const batch = `4:memory:/slurm_n/uid_1/job_44/step_batch/task_0\n0::/\n`;
    expect(locateSource({ id: ID, pid: PID }, ROOT, procRootWith(batch))).toMatchObject({ kind: 'proc' });
  });
});

describe('limits enforced by a Slurm step', () => {
  const read = { memoryMax: String(300 * MiB), cpuMax: 'cpuset 0' };

  it('memory as the step has it (whole MiB), CPUs as a set of whole cores', () => {
    expect(decideLimitsEnforced('slurm-container-cgroup', { memoryBytes: 300 * MiB, cpus: 1 }, read)).toBe(true);
    expect(decideLimitsEnforced('slurm-container-cgroup', { memoryBytes: 300 * MiB + 1000, cpus: null }, read)).toBe(true);
    expect(decideLimitsEnforced('slurm-step-cgroup', { memoryBytes: 400 * MiB, cpus: null }, read)).toBe(false);
    // 0.5 CPUs asked, a whole core granted: not the limit asked for.
    expect(decideLimitsEnforced('slurm-container-cgroup', { memoryBytes: null, cpus: 0.5 }, read)).toBe(false);
    expect(decideLimitsEnforced('slurm-container-cgroup', { memoryBytes: null, cpus: 2 }, { ...read, cpuMax: 'cpuset 0-1' })).toBe(true);
    expect(cpusetCount('0-3,8,10-11')).toBe(7);
    expect(cpusetCount('x')).toBeNull();
  });
});
