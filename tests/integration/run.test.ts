// `agentpod run` for real: rootless podman as the test user, the real Claude Code CLI, the scripted API.
import { chmodSync, copyFileSync, existsSync, linkSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, containersOfRun, isRoot, podmanAsTestUser, repoRoot, testUser, userTempDir } from '../helpers/user.js';

const SCRIPT = readFileSync(join(repoRoot, 'traces', 'scripts', 'hello-file.yaml'), 'utf8');

const LOOK_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "ls -A /home > seen-home.txt; ls -A /tmp > seen-tmp.txt; ls -A ~ > seen-homedir.txt" } }
  - content:
      - { type: text, text: "Looked." }
`;

const SLOW_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "sleep 60", timeout: 120000 } }
  - content:
      - { type: text, text: "Slept." }
`;

let api: { server: MockApiServer; env: Record<string, string> };
let slowApi: { server: MockApiServer; env: Record<string, string> };
let lookApi: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;
let workdir: string;

beforeAll(async () => {
  api = await startScriptedApi(SCRIPT);
  slowApi = await startScriptedApi(SLOW_SCRIPT);
  lookApi = await startScriptedApi(LOOK_SCRIPT);
  dataDir = userTempDir('agentpod-data-');
  workdir = userTempDir('agentpod-work-');
});

afterAll(async () => {
  await api?.server.close();
  await slowApi?.server.close();
  await lookApi?.server.close();
});

const db = () => new Database(join(dataDir, 'agentpod.db'), { readonly: true });
type RunRow = Record<string, unknown> & { id: string; status: string; session_id: string; run_dir: string };

describe('agentpod run', () => {
  it('runs the real agent in the container, records the run, the stream and the trace named by the session id', async () => {
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--profile', 'small', '--json', 'Say hello in a file.'], { env: api.env });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
    expect(outcome.status).toBe('ok');
    expect(readFileSync(join(workdir, 'made-by-agent.txt'), 'utf8')).toBe('hello\n');

    const row = db().prepare('SELECT * FROM runs WHERE id = ?').get(outcome.runId) as RunRow;
    expect(row.status).toBe('ok');
    expect(row.exit_code).toBe(0);
    expect(row.profile).toBe('small');
    expect(row.memory_limit_bytes).toBe(2 * 1024 ** 3);
    expect(row.num_turns).toBe(2);
    expect(row.finished_at as number).toBeGreaterThanOrEqual(row.started_at as number);

    const expectedTrace = join(testUser.home, '.claude', 'projects', workdir.replace(/[^a-zA-Z0-9]/g, '-'), `${row.session_id}.jsonl`);
    expect(outcome.tracePath).toBe(expectedTrace);
    expect(existsSync(expectedTrace)).toBe(true);
    for (const f of ['spec.json', 'argv.json', 'stdout.jsonl', 'stderr.log', 'result.json', 'trace.jsonl']) expect(existsSync(join(row.run_dir, f)), f).toBe(true);
    const stream = readFileSync(join(row.run_dir, 'stdout.jsonl'), 'utf8');
    expect(stream).toContain('"type":"result"');
    expect(JSON.parse(readFileSync(join(row.run_dir, 'argv.json'), 'utf8'))).toContain('--userns=keep-id');
    // Secrets travel by name only.
    expect(readFileSync(join(row.run_dir, 'argv.json'), 'utf8')).not.toContain('sk-agentpod-test');
    expect(await containersOfRun(outcome.runId)).toEqual([]);

    // The trace is in the database by the time the run is recorded, linked to the run by its session id.
    const traceLines = readFileSync(expectedTrace, 'utf8').split('\n').filter(Boolean).length;
    const handle = db();
    try {
      expect(handle.prepare('SELECT count(*) FROM messages WHERE session_id = ?').pluck().get(row.session_id)).toBe(traceLines);
      expect(handle.prepare('SELECT run_id FROM sessions WHERE session_id = ?').pluck().get(row.session_id)).toBe(row.id);
      const calls = handle.prepare('SELECT tool_name, command, is_error FROM tool_calls WHERE session_id = ?').all(row.session_id);
      expect(calls).toEqual([{ tool_name: 'Bash', command: 'pwd && echo hello > made-by-agent.txt', is_error: 0 }]);
    } finally {
      handle.close();
    }
  });

  it('hands a prompt full of shell syntax to the agent byte for byte', async () => {
    const prompt = `it's "quoted" $(touch /tmp/pwned-agentpod) \`id\` ; echo nope\nsecond line\t|& >x`;
    const before = api.server.requests.length;
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, prompt], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const seen = api.server.requests.slice(before).filter((q) => q.conversation === 'main');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0].firstUserText).toContain(prompt);
    expect(existsSync('/tmp/pwned-agentpod')).toBe(false);
  });

  it('passes a 1 MB prompt through stdin', async () => {
    const prompt = `BEGIN ${'x'.repeat(1024 * 1024)} END`;
    const file = join(workdir, 'big-prompt.txt');
    writeFileSync(file, prompt);
    const before = api.server.requests.length;
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--prompt-file', file, '--json'], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const seen = api.server.requests.slice(before).filter((q) => q.conversation === 'main');
    expect(seen[0].firstUserText).toContain(prompt);
    const dry = await agentpod(['run', '--dry-run', '--json', '--workdir', workdir, '--prompt-file', file]);
    expect(JSON.parse(String(dry.stdout))).toMatchObject({ promptOnStdin: true });
  });

  it('--share narrow shows the agent only its home (private), ~/.claude and the work dir', async () => {
    const narrowWork = userTempDir('agentpod-narrow-');
    const hostOnly = userTempDir('agentpod-host-only-');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', narrowWork, '--share', 'narrow', '--json', 'look around'], { env: lookApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const read = (f: string) => readFileSync(join(narrowWork, f), 'utf8').trim().split('\n').filter(Boolean);
    expect(read('seen-home.txt')).toEqual([testUser.home.split('/').pop()]);
    // /tmp is private: the host's other temp folders are not there, the mounted work dir is.
    expect(read('seen-tmp.txt')).toContain(narrowWork.split('/').pop());
    expect(read('seen-tmp.txt')).not.toContain(hostOnly.split('/').pop());
    expect(read('seen-homedir.txt')).toContain('.claude');
    const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
    expect(existsSync(outcome.tracePath)).toBe(true);
  });

  it('mounts a claude binary that lives outside the shared paths (like a project node_modules)', async () => {
    // /var/tmp is outside the shared paths wherever this checkout lives (it may itself be under /tmp or /home).
    const outside = mkdtempSync('/var/tmp/agentpod-claude-');
    try {
      chmodSync(outside, 0o755);
      const bundled = realpathSync(join(repoRoot, 'node_modules', '.bin', 'claude'));
      const claude = join(outside, 'claude');
      try {
        linkSync(bundled, claude);
      } catch {
        copyFileSync(bundled, claude); // another filesystem
      }
      const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--claude', claude, '--json', 'hello'], { env: api.env });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
      const argv = JSON.parse(readFileSync(join(outcome.runDir, 'argv.json'), 'utf8')) as string[];
      expect(argv).toContain(`${outside}:${outside}:ro`);
      expect(argv).toContain(claude);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('SIGINT stops and removes the container and records the run as interrupted', async () => {
    const child = agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', 'sleep please'], { env: slowApi.env });
    // Wait until the agent is inside its sleep (its container exists and the run row names the agentpod pid).
    let row: RunRow | undefined;
    for (let i = 0; i < 200 && !row; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const candidate = existsSync(join(dataDir, 'agentpod.db'))
        ? (db().prepare(`SELECT * FROM runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1`).get() as RunRow | undefined)
        : undefined;
      if (candidate && slowApi.server.requests.some((q) => q.conversation === 'main')) row = candidate;
    }
    expect(row, 'the run never started').toBeDefined();
    expect(await containersOfRun(row!.id)).not.toEqual([]);
    process.kill(row!.owner_pid as number, 'SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const after = db().prepare('SELECT * FROM runs WHERE id = ?').get(row!.id) as RunRow;
    expect(after.status).toBe('interrupted');
    expect(after.signal).toBe('SIGINT');
    expect(await containersOfRun(row!.id)).toEqual([]);
  });

  it('stops a run at its timeout and records it', async () => {
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--timeout', '4s', '--json', 'sleep please'], { env: slowApi.env });
    expect(r.exitCode).toBe(4);
    const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
    expect(outcome.status).toBe('timeout');
    expect(outcome.timedOut).toBe(true);
    expect(outcome.durationMs).toBeLessThan(4000 + 10_000 + 5000);
    expect(await containersOfRun(outcome.runId)).toEqual([]);
  });
});

describe('leftovers and bad input', () => {
  it('removes containers left by a dead agentpod on the next start', async () => {
    const { hostname } = await import('node:os');
    // A pid that cannot be alive: above the kernel's pid_max.
    const created = await podmanAsTestUser([
      'create', '--label', 'agentpod.run-id=leftover', '--label', 'agentpod.owner-pid=99999999', '--label', `agentpod.owner-host=${hostname()}`,
      'localhost/agentpod/base:1', 'true',
    ]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    expect(await containersOfRun('leftover')).not.toEqual([]);
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, 'hello'], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toMatch(/removed 1 leftover container/);
    expect(await containersOfRun('leftover')).toEqual([]);
  });

  it('rejects a bad profile with one line naming file and key, exit 2, and records nothing', async () => {
    const file = join(workdir, 'bad.yaml');
    writeFileSync(file, 'memory: lots\n');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--profile', file, 'hello'], { env: api.env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`profile ${file}: key "memory"`);
  });

  it('rejects an unknown local image in one line without recording a run', async () => {
    const countRuns = () => (db().prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    const before = countRuns();
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--image', 'localhost/agentpod/no-such-image:1', 'hello']);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).trim()).toBe('agentpod: image localhost/agentpod/no-such-image:1 not found locally (podman images lists what there is)');
    expect(countRuns()).toBe(before);
  });

  it('says so when the prompt file is missing (exit 2)', async () => {
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--prompt-file', '/nonexistent/prompt.md']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--prompt-file \/nonexistent\/prompt.md: cannot read: ENOENT/);
  });
});

describe('agentpod run as root', () => {
  it.runIf(isRoot)('refuses without --as-user and says what to do (exit 2)', async () => {
    const { execa } = await import('execa');
    const r = await execa(process.execPath, ['dist/cli.js', 'run', 'hello'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--as-user NAME/);
  });
});
