// `agentpod replay` under an enforced limit the original never met: the same trajectory, replayed at
// --memory 256m, has its 300 MiB Bash call OOM-killed. The replay records that call as diverged (an OOM kill, exit
// code 137) and is itself `oom`; the replay goes on (open loop) and the agent finishes.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { gitWorkdir } from '../helpers/git.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, containersOfRun, userTempDir } from '../helpers/user.js';

// The allocating process asks to be the OOM killer's first choice, so under the limit it is the tool that dies,
// not the agent (which alone may be the larger process when the 256 MiB are reached).
const ALLOCATE_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "python3 -c \\"open('/proc/self/oom_score_adj', 'w').write('1000'); b = bytearray(300 * 1024 * 1024); print(len(b))\\"", timeout: 300000 } }
  - content:
      - { type: text, text: "Allocated." }
`;

let api: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;

beforeAll(async () => {
  api = await startScriptedApi(ALLOCATE_SCRIPT);
  dataDir = userTempDir('agentpod-cgroup2-replay-');
});

afterAll(async () => {
  await api?.server.close();
});

const AGENTPOD_RUN_MS = 1_200_000;
const lastJson = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);

function rows(sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('agentpod replay under enforced cgroup v2 limits', () => {
  let runId: string;

  // The original, where the allocation fits. Each agentpod run takes minutes in the emulated VM (13 on a
  // loaded 2-core host), so the original has a hook of its own and both have more time than the config's.
  beforeAll(async () => {
    const workdir = await gitWorkdir({ 'README.md': 'allocation test\n' });
    const original = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--memory', '1g', '--json', 'allocate 300 MiB'], { env: api.env });
    expect(original.exitCode, String(original.stderr)).toBe(0);
    runId = lastJson(original.stdout).runId;
  }, AGENTPOD_RUN_MS);

  it('records the 300 MiB call of a run replayed at --memory 256m as diverged by an OOM kill, and the replay as oom', async () => {
    const replay = await agentpod(['replay', '--data-dir', dataDir, runId, '--memory', '256m', '--think-time', 'none', '--json']);
    expect(replay.stderr).not.toMatch(/internal error/);
    expect(replay.exitCode, String(replay.stderr)).toBe(3);
    const outcome = lastJson(replay.stdout);
    expect(outcome).toMatchObject({ status: 'oom', replay: { originalRunId: runId, toolCalls: 1, replayedCalls: 1, divergedCalls: 1, firstDivergedSeq: 0, error: null } });
    const [call] = rows('SELECT * FROM replay_tool_calls WHERE replay_run_id = ?', outcome.runId);
    expect(call).toMatchObject({ tool_name: 'Bash', diverged: 1, original_oom_kills: 0, original_exit_code: 0, original_is_error: 0, replay_is_error: 1, replay_exit_code: 137 });
    expect(call.replay_oom_kills as number).toBeGreaterThanOrEqual(1);
    expect(String(call.reasons).split(',')).toEqual(expect.arrayContaining(['oom-kill', 'exit-code', 'error']));
    const [row] = rows('SELECT status, memory_limit_bytes, sample_source, oom_kill_events FROM runs WHERE id = ?', outcome.runId);
    expect(row).toMatchObject({ status: 'oom', memory_limit_bytes: 256 * 2 ** 20, sample_source: 'cgroup-v2' });
    // The agent went on past the kill: it got the scripted closing turn.
    expect(outcome.agentResult?.result).toBe('Allocated.');
    expect(await containersOfRun(outcome.runId)).toEqual([]);
  }, AGENTPOD_RUN_MS);
});
