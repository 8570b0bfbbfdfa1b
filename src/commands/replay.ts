import { userInfo } from 'node:os';
import type { CommandModule } from 'yargs';
import type { ReplayOutcome } from '../replay/run-replay.js';
import { ConfigError, UserError } from '../errors.js';
import { openStore, resolveStore } from './common.js';
import { gradingOptionsFrom, verdictLines, withGradingOptions, type GradingArgs } from './grading.js';
import { abortOnSignals, EXIT_BY_STATUS, outcomeLine, rootlessGuard, trialLaunchFrom, withLaunchOptions, type LaunchArgs } from './launch.js';

interface ReplayArgs extends Omit<LaunchArgs, 'profile'>, GradingArgs {
  run?: string;
  session?: string;
  profile?: string;
  profiles?: string;
  repeat: number;
  'think-time': string;
  image?: string;
}

function summaryLine(o: ReplayOutcome): string {
  const r = o.replay;
  const of = r.originalRunId ? `run ${r.originalRunId}` : `session ${r.originalSessionId}`;
  const first = r.firstDivergedSeq === null ? '' : ` (first: call #${r.firstDivergedSeq})`;
  return `replay of ${of}: ${r.toolCalls} tool call(s), ${r.replayedCalls} made again, ${r.divergedCalls} diverged${first}; ${r.stepsServed}/${r.scriptSteps} scripted step(s) served`;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay [run]',
  describe: 'Replay a recorded session with the real Claude Code against agentpod\'s scripted server, under any profile (offline, no API key)',
  builder: (y) =>
    withGradingOptions(withLaunchOptions(y))
      .positional('run', { type: 'string', describe: 'the run to replay (its session must be ingested)' })
      .option('session', { type: 'string', describe: 'replay this ingested session instead of a run' })
      // No default: without --profile/--profiles the replay runs under the original run's own limits.
      .option('profile', { type: 'string', describe: 'resource profile (default: the limits the original ran under)' })
      .default('profile', undefined)
      .option('profiles', { type: 'string', describe: 'several profiles, comma-separated: one replay each, as one batch' })
      .option('repeat', { type: 'number', default: 1, describe: 'replays per profile' })
      .option('think-time', { type: 'string', default: 'original', describe: 'model time per response: original, none, or a factor (0.5)' })
      .option('image', { type: 'string', describe: 'run in this image (default: the original\'s; needed for a session agentpod did not run)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print what would be replayed (start state, conversations, steps, think time) and run nothing' })
      .conflicts('profile', 'profiles')
      .conflicts('run', 'session')
      .example('$0 replay 20261122-134201-1a2b3c --memory 1g', 'the same trajectory under 1 GB')
      .example('$0 replay RUN --profiles small,default --repeat 3 --think-time none', 'six replays as one batch, tools back to back')
      .example('$0 replay --session 5f0c... --image docker.io/swerebench/sweb.eval.x86_64.x', 'an ingested session of /testbed on its image')
      .example('$0 query replay --run REPLAY_RUN', 'original vs replay per tool call'),
  handler: async (args) => {
    if (args.run === undefined && args.session === undefined) throw new ConfigError('name what to replay: RUN_ID, or --session ID');
    const reexecCode = await rootlessGuard(args);
    if (reexecCode !== undefined) process.exit(reexecCode);
    const { replaySession, describeReplayPlan } = await import('../replay/run-replay.js');
    const db = await openStore(args);
    const controller = abortOnSignals();
    const { uid, gid } = userInfo();
    const request = {
      db,
      dataDir: resolveStore(args).dataDir,
      source: { runId: args.run, sessionId: args.session },
      profiles: args.profiles !== undefined ? args.profiles.split(',').map((p) => p.trim()).filter(Boolean) : args.profile !== undefined ? [args.profile] : null,
      overrides: { memory: args.memory, memorySwap: args['memory-swap'], cpus: args.cpus, pidsLimit: args['pids-limit'], timeout: args.timeout },
      repeat: args.repeat,
      thinkTime: args['think-time'],
      image: args.image,
      launch: trialLaunchFrom({ ...args, profile: '' }),
      grading: await gradingOptionsFrom(args, args['sample-interval']),
      uid,
      gid,
      signal: controller.signal,
      log: (line: string) => process.stderr.write(`${line}\n`),
    };
    try {
      if (args['dry-run']) {
        process.stdout.write(`${JSON.stringify(describeReplayPlan(request), null, args.json ? undefined : 2)}\n`);
        return;
      }
      const outcomes = await replaySession(request);
      for (const o of outcomes) {
        if (args.json) process.stdout.write(`${JSON.stringify(o)}\n`);
        else {
          process.stdout.write(
            `${outcomeLine(o)}\n${summaryLine(o)}\n` +
              (o.patch !== undefined ? (o.patch ? `patch: ${o.patch.bytes} bytes, ${o.patch.files} file(s) changed${o.replay.originalPatchSha256 ? (o.replay.originalPatchSha256 === o.replay.replayPatchSha256 ? ' (the same as the original\'s)' : ' (not the original\'s)') : ''}\n` : 'patch: none taken\n') : '') +
              verdictLines(o) +
              (o.error ? `error: ${o.error}\n` : '') +
              `folder: ${o.runDir}\n`,
          );
        }
      }
      const stopped = outcomes.find((o) => o.replay.error);
      if (stopped) throw new UserError(`replay ${stopped.runId} stopped: ${stopped.replay.error}`, 2);
      if (outcomes.length === 1) process.exitCode = EXIT_BY_STATUS[outcomes[0].status];
      else process.exitCode = controller.signal.aborted || outcomes.some((o) => o.status === 'interrupted') ? 130 : 0;
    } finally {
      db.close();
    }
  },
};
