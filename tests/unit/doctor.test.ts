import { describe, expect, it } from 'vitest';
import { evaluate, kernelHasRootlessOverlay, storageCheck, type DoctorFacts } from '../../src/doctor.js';

const healthyV2: DoctorFacts = {
  uid: 1000,
  user: 'alice',
  podman: { version: '5.2.0', rootless: true, cgroupVersion: 'v2', cgroupControllers: ['cpu', 'io', 'memory', 'pids'], runtime: 'crun', storageDriver: 'overlay' },
  subuid: true,
  subgid: true,
  cgroupLayout: 'v2',
  delegatedControllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'],
  chosenRuntime: null,
  runtimesOnPath: ['crun'],
  claude: { path: '/usr/bin/claude', shared: true },
  credentials: { env: ['ANTHROPIC_API_KEY'], file: false },
  kernel: '6.1.0-18-amd64',
};

const level = (facts: DoctorFacts, name: string) => evaluate(facts).find((c) => c.name === name)?.level;

describe('doctor verdicts', () => {
  it('passes a delegated cgroup v2 host', () => {
    expect(evaluate(healthyV2).every((c) => c.level === 'ok')).toBe(true);
  });

  it('warns that limits are ignored when memory or cpu is not delegated', () => {
    const checks = evaluate({ ...healthyV2, delegatedControllers: ['pids'] });
    const limits = checks.find((c) => c.name === 'cgroup limits')!;
    expect(limits.level).toBe('warn');
    expect(limits.detail).toMatch(/memory, cpu not delegated/);
    expect(limits.fix).toMatch(/Delegate=/);
  });

  it('on a hybrid host: limits ignored (warn) and crun fails', () => {
    const hybrid = { ...healthyV2, cgroupLayout: 'hybrid' as const, delegatedControllers: null };
    expect(level(hybrid, 'cgroup limits')).toBe('warn');
    expect(level(hybrid, 'OCI runtime')).toBe('fail');
    expect(level({ ...hybrid, chosenRuntime: 'runc', runtimesOnPath: ['crun', 'runc'] }, 'OCI runtime')).toBe('ok');
  });

  it('fails without podman, without subuid ranges, without claude', () => {
    expect(level({ ...healthyV2, podman: { error: 'podman not found on PATH' } }, 'podman')).toBe('fail');
    expect(level({ ...healthyV2, subgid: false }, 'subuid/subgid')).toBe('fail');
    expect(level({ ...healthyV2, claude: { error: 'not found' } }, 'claude')).toBe('fail');
  });

  it('warns about vfs, root and missing credentials, and never prints a credential value', () => {
    expect(level({ ...healthyV2, podman: { ...(healthyV2.podman as object), storageDriver: 'vfs' } as DoctorFacts['podman'] }, 'storage driver')).toBe('warn');
    expect(level({ ...healthyV2, uid: 0, user: 'root' }, 'rootless')).toBe('warn');
    expect(level({ ...healthyV2, credentials: { env: [], file: false } }, 'credentials')).toBe('warn');
    const detail = evaluate(healthyV2).find((c) => c.name === 'credentials')!.detail;
    expect(detail).toBe('$ANTHROPIC_API_KEY set');
  });

  it('says when claude lives outside the shared paths', () => {
    const checks = evaluate({ ...healthyV2, claude: { path: '/opt/x/claude', shared: false } });
    expect(checks.find((c) => c.name === 'claude')!.detail).toMatch(/mounted read-only/);
  });
});

describe('storage driver', () => {
  it('names the driver; on vfs says what it costs and how to switch for this kernel', () => {
    expect(storageCheck('overlay', '6.1.0')).toMatchObject({ level: 'ok', detail: expect.stringMatching(/^overlay \(copy-on-write/) });
    const vfs = storageCheck('vfs', '6.1.0-18-amd64');
    expect(vfs.level).toBe('warn');
    expect(vfs.detail).toMatch(/every container start and commit copies the whole image.*10–19 s per launch of a 1 GB/);
    expect(vfs.fix).toMatch(/native rootless overlay: podman system reset .* driver = "overlay" in ~\/\.config\/containers\/storage\.conf/);
    expect(storageCheck('vfs', '5.10.0-28-amd64').fix).toMatch(/older than 5\.13: apt-get install fuse-overlayfs/);
  });

  it('knows which kernels mount overlay in a user namespace', () => {
    expect(['5.13.0', '5.15.0-91-generic', '6.1.0-18-amd64', '10.0'].map(kernelHasRootlessOverlay)).toEqual([true, true, true, true]);
    expect(['5.12.19', '4.19.0-26-amd64', '3.10.0'].map(kernelHasRootlessOverlay)).toEqual([false, false, false]);
  });
});
