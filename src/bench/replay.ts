// Replay overhead: `agentpod replay RUN --think-time none` against the original `agentpod run` of the same
// trajectory (the same scripted turns, no think time on either side), alternated N times. The replay pays for
// reading the session from the database, recreating the work dir (a git clone), its own scripted server and the
// divergence records; the agent, the container and the tools are the same.
import { chownSync, rmSync, writeFileSync } from 'node:fs';
import { isRoot } from '../as-user.js';
import { join } from 'node:path';
import { parseScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { claudeProjectDirName } from '../paths.js';
import type { Bench } from './figures.js';
import { benchTempDir, benchUser, mustSucceed, runAsBenchUser } from './launch.js';
import { alternate, median, ratio, timeMs } from './stats.js';

const CLI = join(packageRoot, 'dist', 'cli.js');

/** Three tool calls, one of them two at once, and a closing text; idempotent, so every original run is the same. */
const SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "ls && git log --format=%s" } }
      - { type: tool_use, name: Read, input: { file_path: "WORKDIR/notes.txt" } }
  - content:
      - { type: tool_use, name: Bash, input: { command: "echo made > made-by-agent.txt && cat made-by-agent.txt" } }
  - content:
      - { type: text, text: "Done." }
`;

export const runReplayBench: Bench = async ({ quick }) => {
  const runs = quick ? 3 : 7;
  const user = benchUser();
  const dataDir = benchTempDir(user, 'agentpod-bench-replay-data-');
  const workdir = benchTempDir(user, 'agentpod-bench-replay-work-');
  const api = await startMockApi(parseScript(SCRIPT.replaceAll('WORKDIR', workdir), 'replay bench'));
  const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-agentpod-bench', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const prompt = 'Look around and make a file.';
  try {
    writeFileSync(join(workdir, 'notes.txt'), 'bench notes\n');
    if (isRoot()) chownSync(join(workdir, 'notes.txt'), user.uid, user.gid);
    const git = async (args: string[]) => mustSucceed(`git ${args[0]}`, await runAsBenchUser(user, 'git', ['-C', workdir, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {}));
    await git(['init', '-q']);
    await git(['add', '.']);
    await git(['commit', '-qm', 'bench start']);

    const runDurations: number[] = [];
    const replayDurations: number[] = [];
    const original = async () => {
      const r = mustSucceed('agentpod run', await runAsBenchUser(user, process.execPath, [CLI, 'run', '--data-dir', dataDir, '--workdir', workdir, '--json', prompt], env));
      return JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string; durationMs: number };
    };
    // The recording every replay plays (its start state: the clean tree at the commit above).
    const recorded = await original();
    const replay = async () => {
      const r = mustSucceed('agentpod replay', await runAsBenchUser(user, process.execPath, [CLI, 'replay', '--data-dir', dataDir, recorded.runId, '--think-time', 'none', '--json'], {}));
      const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { durationMs: number; replay: { divergedCalls: number } };
      if (outcome.replay.divergedCalls !== 0) throw new Error(`the bench replay diverged in ${outcome.replay.divergedCalls} call(s)`);
      replayDurations.push(outcome.durationMs);
    };
    const baseline = () => timeMs(async () => runDurations.push((await original()).durationMs));
    // Warm-up (not counted).
    await replay();
    await baseline();
    runDurations.length = 0;
    replayDurations.length = 0;
    const { subjectMs, baselineMs } = await alternate(runs, replay, baseline);
    const value = median(subjectMs);
    const base = median(baselineMs);
    return [
      {
        name: 'replay: agentpod replay --think-time none vs the original agentpod run (same 3-call trajectory)',
        value: Math.round(value),
        unit: 'ms',
        baseline: Math.round(base),
        ratio: ratio(value, base),
        note:
          `median of ${runs} alternated commands each, wall time; overhead ${Math.round(value - base)} ms. Inside the run (runs.duration_ms) ` +
          `${Math.round(median(replayDurations))} ms replayed vs ${Math.round(median(runDurations))} ms original`,
      },
    ];
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
    rmSync(join(user.home, '.claude', 'projects', claudeProjectDirName(workdir)), { recursive: true, force: true });
  }
};
