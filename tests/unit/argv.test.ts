import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { containerMounts, formatCommand, podmanRunArgv } from '../../src/podman/argv.js';
import type { Profile } from '../../src/profiles.js';
import type { LaunchSpec } from '../../src/launch-spec.js';

const profile: Profile = {
  name: 'small',
  description: '',
  memoryBytes: 2 * 1024 ** 3,
  memorySwapBytes: 2 * 1024 ** 3,
  cpus: 1,
  pidsLimit: 4096,
  timeoutMs: 30 * 60_000,
  model: null,
  source: 'profiles/small.yaml',
};

function spec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    runId: 'r1',
    sessionId: '00000000-0000-4000-8000-000000000001',
    containerName: 'agentpod-r1',
    image: 'localhost/test:1',
    workdir: '/home/alice/project',
    workdirOnHost: true,
    profile,
    model: null,
    shareMode: 'host',
    runtime: null,
    user: { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' },
    hostPaths: ['/usr', '/lib', '/lib64', '/bin', '/sbin', '/etc', '/home', '/tmp'],
    claudePath: '/usr/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe',
    env: {},
    passEnv: [],
    labels: { 'agentpod.run-id': 'r1' },
    extraMounts: [],
    promptDelivery: 'argv',
    stopGraceSeconds: 10,
    clientPrefix: [],
    ...overrides,
  };
}

/** The value following each occurrence of `flag`. */
const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

describe('podmanRunArgv', () => {
  it('runs rootless with keep-id, host network, no-new-privileges, a name and the run label', () => {
    const argv = podmanRunArgv(spec(), 'hi');
    expect(argv[0]).toBe('run');
    expect(argv).toContain('--userns=keep-id');
    expect(argv).toContain('--network=host');
    expect(values(argv, '--security-opt')).toEqual(['no-new-privileges']);
    expect(values(argv, '--name')).toEqual(['agentpod-r1']);
    expect(values(argv, '--label')).toContain('agentpod.run-id=r1');
    expect(argv).not.toContain('--rm');
  });

  it('shares system paths read-only and /home, /tmp read-write in host mode', () => {
    const argv = podmanRunArgv(spec(), 'hi');
    expect(values(argv, '-v')).toEqual([
      '/usr:/usr:ro', '/lib:/lib:ro', '/lib64:/lib64:ro', '/bin:/bin:ro', '/sbin:/sbin:ro', '/etc:/etc:ro', '/home:/home', '/tmp:/tmp',
    ]);
  });

  it('skips a system path the host lacks', () => {
    const mounts = containerMounts(spec({ hostPaths: ['/usr', '/lib', '/bin', '/sbin', '/etc', '/home', '/tmp'] }));
    expect(mounts.map((m) => m.target)).not.toContain('/lib64');
  });

  it('mounts a home outside /home, and a work dir outside the shared paths', () => {
    const mounts = containerMounts(spec({ user: { name: 'root', uid: 0, gid: 0, home: '/root' }, workdir: '/srv/repo' }));
    expect(mounts).toContainEqual({ source: '/root', target: '/root', readOnly: false });
    expect(mounts).toContainEqual({ source: '/srv/repo', target: '/srv/repo', readOnly: false });
  });

  it('narrow mode mounts only ~/.claude and the work dir, with a private home and /tmp', () => {
    const argv = podmanRunArgv(spec({ shareMode: 'narrow' }), 'hi');
    const vols = values(argv, '-v');
    expect(vols).not.toContain('/home:/home');
    expect(vols).not.toContain('/tmp:/tmp');
    expect(vols).toContain('/home/alice/.claude:/home/alice/.claude');
    expect(vols).toContain('/home/alice/project:/home/alice/project');
    expect(values(argv, '--mount')).toEqual(['type=tmpfs,destination=/home/alice,chown=true', 'type=tmpfs,destination=/tmp']);
  });

  it('mounts the folder of a claude binary outside the shared paths read-only at the same path', () => {
    const claudePath = '/work/proj/node_modules/@anthropic-ai/claude-code/bin/claude.exe';
    const argv = podmanRunArgv(spec({ claudePath }), 'hi');
    expect(values(argv, '-v')).toContain('/work/proj/node_modules/@anthropic-ai/claude-code/bin:/work/proj/node_modules/@anthropic-ai/claude-code/bin:ro');
    expect(argv).toContain(claudePath);
    // inside /usr: nothing extra
    expect(values(podmanRunArgv(spec(), 'hi'), '-v').some((v) => v.includes('claude-code'))).toBe(false);
  });

  it('passes the profile limits, swap equal to memory, and a conmon backstop timeout', () => {
    const argv = podmanRunArgv(spec(), 'hi');
    expect(values(argv, '--memory')).toEqual(['2147483648b']);
    expect(values(argv, '--memory-swap')).toEqual(['2147483648b']);
    expect(values(argv, '--cpus')).toEqual(['1']);
    expect(values(argv, '--pids-limit')).toEqual(['4096']);
    expect(Number(values(argv, '--timeout')[0])).toBeGreaterThan(30 * 60);
  });

  it('passes soft limits: memory-low as --memory-reservation, memory-high and cpu-weight as cgroup files', () => {
    const soft = { ...profile, memoryHighBytes: 1536 * 2 ** 20, memoryLowBytes: 2 ** 30, cpuWeight: 50 };
    const argv = podmanRunArgv(spec({ profile: soft }), 'hi');
    expect(values(argv, '--memory-reservation')).toEqual(['1073741824b']);
    expect(values(argv, '--cgroup-conf')).toEqual(['memory.high=1610612736', 'cpu.weight=50']);
    // Before the image: podman options.
    expect(argv.indexOf('--cgroup-conf')).toBeLessThan(argv.indexOf(spec().image));
    expect(podmanRunArgv(spec(), 'hi')).not.toContain('--cgroup-conf');
  });

  it('passes no limit flags for an unlimited profile', () => {
    const unlimited = { ...profile, memoryBytes: null, memorySwapBytes: null, cpus: null, pidsLimit: null, timeoutMs: null };
    const argv = podmanRunArgv(spec({ profile: unlimited }), 'hi');
    for (const flag of ['--memory', '--memory-swap', '--cpus', '--pids-limit', '--timeout', '--memory-reservation', '--cgroup-conf']) expect(argv).not.toContain(flag);
  });

  it('passes secrets by name only and sets HOME, USER and PATH', () => {
    const argv = podmanRunArgv(spec({ passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'], env: { GIT_CONFIG_COUNT: '1' } }), 'hi');
    const envs = values(argv, '-e');
    expect(envs).toContain('ANTHROPIC_API_KEY');
    expect(envs).toContain('ANTHROPIC_BASE_URL');
    expect(envs).toContain('HOME=/home/alice');
    expect(envs).toContain('USER=alice');
    expect(envs.some((e) => e.startsWith('PATH=/usr/local/sbin:'))).toBe(true);
    expect(envs).toContain('GIT_CONFIG_COUNT=1');
    expect(envs.some((e) => e.startsWith('ANTHROPIC_API_KEY='))).toBe(false);
  });

  it('runs claude as the main process with the session id and stream-json, prompt as the last element verbatim', () => {
    const prompt = `it's "quoted" $(rm -rf /) \`id\`\nsecond line`;
    const argv = podmanRunArgv(spec({ model: 'claude-haiku-4-5' }), prompt);
    const image = argv.indexOf('localhost/test:1');
    expect(argv.slice(image + 1)).toEqual([
      '/usr/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe', '-p', '--session-id', '00000000-0000-4000-8000-000000000001',
      '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--model', 'claude-haiku-4-5', prompt,
    ]);
    expect(values(argv, '--workdir')).toEqual(['/home/alice/project']);
    expect(argv).not.toContain('-i');
  });

  it('sends a long prompt through stdin (-i) instead of argv', () => {
    const argv = podmanRunArgv(spec({ promptDelivery: 'stdin' }), null);
    expect(argv).toContain('-i');
    expect(argv[argv.length - 1]).toBe('--dangerously-skip-permissions');
  });

  it('sets the runtime only when chosen', () => {
    expect(podmanRunArgv(spec(), 'x')).not.toContain('--runtime');
    expect(values(podmanRunArgv(spec({ runtime: 'runc' }), 'x'), '--runtime')).toEqual(['runc']);
  });
});

describe('formatCommand', () => {
  it('quotes so that a shell gives back the exact argv', () => {
    const args = ['plain', "it's", '$(id)', '`id`', 'a b', 'new\nline', '', 'x=y,z:1'];
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${formatCommand(args)}`]);
    expect(out.toString().split('\0').slice(0, -1)).toEqual(args);
  });
});
