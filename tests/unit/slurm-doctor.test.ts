// doctor --slurm verdicts from facts (the cluster's config is the recorded `scontrol show config`).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateSlurm, nodeCgroupFacts, type SlurmDoctorFacts } from '../../src/slurm/doctor.js';
import { parseScontrolConfig } from '../../src/slurm/parse.js';
import { podmanJobSetup } from '../../src/slurm/podman-env.js';
import { clusterConfigFrom } from '../../src/slurm/query.js';

const config = clusterConfigFrom(parseScontrolConfig(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'slurm', 'scontrol-show-config.txt'), 'utf8')));
const tools = { sbatch: true, srun: true, squeue: true, scontrol: true, scancel: true };
const node = {
  user: 'u',
  uid: 1005,
  subuid: true,
  subgid: true,
  podman: podmanJobSetup({ uid: 1005, xdgRuntimeDir: undefined, xdgRuntimeDirUsable: false, graphRoot: '/home/u/storage', graphRootFsType: 0xef53, nodeDir: '/tmp/agentpod-1005' }),
  cgroup: { path: '/slurm_n/uid_1005/job_3/step_0/task_0', jobMemoryLimit: 1024 ** 3, stepDirOwned: true },
};
const level = (f: SlurmDoctorFacts, name: string) => evaluateSlurm(f).find((c) => c.name === name)?.level;

describe('doctor --slurm', () => {
  it('the test cluster and a node of it pass', () => {
    const checks = evaluateSlurm({ tools, config, job: { id: '3', node: 'n1' }, node });
    expect(checks.filter((c) => c.level !== 'ok')).toEqual([]);
    expect(checks.find((c) => c.name === 'container cgroup')?.detail).toMatch(/slurm-container-cgroup/);
  });

  it('on a login node it says how to check a compute node', () => {
    const checks = evaluateSlurm({ tools, config, job: null, node: null });
    expect(checks.find((c) => c.name === 'compute node')).toMatchObject({ level: 'warn', fix: expect.stringMatching(/--submit/) });
  });

  it('fails linuxproc (conmon escapes), warns without task/cgroup, records or a short KillWait; fails missing tools and ids', () => {
    expect(level({ tools, config: { ...config, proctrack: 'proctrack/linuxproc' }, job: null, node: null }, 'process tracking')).toBe('fail');
    expect(level({ tools, config: { ...config, taskPlugin: 'task/affinity' }, job: null, node: null }, 'memory limits')).toBe('warn');
    expect(level({ tools, config: { ...config, jobCompLog: null }, job: null, node: null }, 'task records')).toBe('warn');
    expect(level({ tools, config: { ...config, killWaitSeconds: 5 }, job: null, node: null }, 'KillWait')).toBe('warn');
    expect(level({ tools: { ...tools, srun: false }, config, job: null, node: null }, 'slurm tools')).toBe('fail');
    expect(level({ tools, config, job: { id: '3', node: 'n1' }, node: { ...node, subgid: false } }, 'subuid/subgid')).toBe('fail');
    expect(level({ tools, config, job: { id: '3', node: 'n1' }, node: { ...node, cgroup: { ...node.cgroup, jobMemoryLimit: null } } }, 'container cgroup')).toBe('warn');
    const nfs = podmanJobSetup({ uid: 1005, xdgRuntimeDir: undefined, xdgRuntimeDirUsable: false, graphRoot: '/home/u/storage', graphRootFsType: 0x6969, nodeDir: '/tmp/agentpod-1005' });
    expect(level({ tools, config, job: { id: '3', node: 'n1' }, node: { ...node, podman: nfs } }, 'storage')).toBe('warn');
  });

  it("reads the job's memory limit and who owns the step's cgroup (recorded /proc/self/cgroup of a task)", () => {
    const root = mkdtempSync(join(tmpdir(), 'agentpod-doctor-'));
    mkdirSync(join(root, 'memory', 'slurm_localhost/uid_1005/job_44/step_0'), { recursive: true });
    writeFileSync(join(root, 'memory', 'slurm_localhost/uid_1005/job_44/memory.limit_in_bytes'), '838860800\n');
    const procCgroup = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'slurm', 'cgroup-v1', 'proc-cgroup'), 'utf8');
    expect(nodeCgroupFacts(procCgroup, root, process.getuid!())).toMatchObject({ jobMemoryLimit: 838860800, stepDirOwned: true });
    expect(nodeCgroupFacts('4:memory:/user.slice\n0::/\n', root)).toEqual({ path: '/user.slice', jobMemoryLimit: null, stepDirOwned: null });
  });
});
