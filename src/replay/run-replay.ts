// `agentpod replay`: a recorded session played again by the real Claude Code in a container, under the chosen
// profile(s): the session → a script (fresh ids, the original think time scaled), agentpod's own scripted
// server answering each conversation its next step, the original's start state recreated, the run recorded
// as any run (a SWE-bench trial through the trial path), then per tool call whether the replay diverged.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { gradeTrial, type ExecutedTrial, type TrialContext } from '../batch/execute-trial.js';
import { beginBatch, endBatch } from '../batch/state.js';
import type { Db } from '../db/open.js';
import { ConfigError, UserError } from '../errors.js';
import { planGrading, type GradingPlan } from '../grading/grade-run.js';
import type { KnownVersions } from '../mockapi/request.js';
import { startMockApi } from '../mockapi/server.js';
import { runDir as runDirOf } from '../paths.js';
import { BASE_IMAGE, ensureBaseImage, ensureImage } from '../podman/image.js';
import { podman } from '../podman/client.js';
import { applyOverrides, loadProfile, type LimitOverrides, type Profile } from '../profiles.js';
import { executeRun, type RunOutcome } from '../run/execute.js';
import { buildLaunchSpec } from '../run/resolve.js';
import { PASSTHROUGH_ENV, SECRET_ENV, type LaunchSpec } from '../launch-spec.js';
import { recordStartState, type StartState } from '../run/start-state.js';
import { fixImage, type FixResult } from '../swebench/fix.js';
import { imageBaseName } from '../swebench/image-name.js';
import { captureRepoPatch, type PatchSummary } from '../swebench/patch.js';
import { runTrial, trialSpec, type PreparedTrial } from '../swebench/trial.js';
import { recordDivergence } from './divergence.js';
import { extractSession, ReplayInputError, type RecordedSession } from './extract.js';
import { ConversationMatcher } from './matcher.js';
import { loadOriginal, planStart, type Original, type ReplayStart } from './original.js';
import { linkReplayToBatch, recordReplay, type ReplaySummary } from './record.js';
import { buildReplayScript, parseThinkTime } from './script.js';
import { loadSessionLines } from './session.js';

/** The Claude Code versions whose requests the scripted server was checked against (docs/replay.md). */
export const KNOWN_CLAUDE_CODE: KnownVersions = { pattern: /^2\.[01]\./, name: '2.0 and 2.1' };

/** The key the replaying Claude Code sends its scripted server: no credential, and no real one goes along. */
export const OFFLINE_API_KEY = 'sk-agentpod-replay-offline';

/** What a trial's context has (the store, the launch options, grading, the user, the signal, the log) and what to replay. */
export interface ReplayRequest extends Pick<TrialContext, 'db' | 'dataDir' | 'launch' | 'grading' | 'uid' | 'gid' | 'signal' | 'log'> {
  source: { runId?: string; sessionId?: string };
  /** Profile names or files; null: the original run's own limits (the default profile for a bare session). */
  profiles: string[] | null;
  overrides: LimitOverrides;
  repeat: number;
  thinkTime: string;
  image?: string;
}

export interface ReplayOutcome extends RunOutcome {
  /** SWE-bench trials and git work dirs: the replay's patch.diff (null when none was taken). */
  patch?: PatchSummary | null;
  fix?: FixResult;
  replay: ReplaySummary;
  /** A trial's replay: its grading (as `swebench`'s outcome has it). */
  evaluation?: ExecutedTrial['evaluation'];
  gradingError?: string | null;
}

function loadSession(db: Db, sessionId: string): RecordedSession {
  try {
    return extractSession(sessionId, loadSessionLines(db, sessionId));
  } catch (e) {
    if (e instanceof ReplayInputError) throw new ConfigError(e.message);
    throw e;
  }
}

/** The original run's limits as its row recorded them (flags override them as they would a profile). */
function originalProfile(db: Db, runId: string): Profile {
  const r = db.prepare('SELECT profile, memory_limit_bytes, memory_swap_limit_bytes, cpus, pids_limit, timeout_ms, model FROM runs WHERE id = ?').get(runId) as Record<string, never>;
  return {
    name: r.profile,
    description: `the limits run ${runId} ran under`,
    memoryBytes: r.memory_limit_bytes,
    memorySwapBytes: r.memory_swap_limit_bytes,
    cpus: r.cpus,
    pidsLimit: r.pids_limit,
    timeoutMs: r.timeout_ms,
    model: r.model,
    source: `run ${runId}`,
  };
}

/** The spec with the scripted server as its API: its URL and a dummy key by value, the user's credentials left out. */
export function pointAtScriptedApi(spec: LaunchSpec, url: string): LaunchSpec {
  const replaced = new Set([...SECRET_ENV, ...PASSTHROUGH_ENV.filter((n) => n.startsWith('ANTHROPIC_') || n.startsWith('CLAUDE_'))]);
  return {
    ...spec,
    env: { ...spec.env, ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: OFFLINE_API_KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    passEnv: spec.passEnv.filter((name) => !replaced.has(name)),
  };
}

const sha256File = (file: string) => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null);

/** What every replay of this invocation starts from, checked once: the fixed image, or the image to run. */
type Prepared = { start: ReplayStart; fix: FixResult | null };

async function prepareStart(start: ReplayStart, original: Original, req: ReplayRequest): Promise<Prepared> {
  const what = original.run ? `run ${original.run.id}` : `session ${original.sessionId}`;
  if (start.kind === 'trial') {
    const fix = await fixImage(start.sourceImage, { uid: req.uid, gid: req.gid, log: req.log, signal: req.signal });
    if (!fix.testbedHead) throw new ConfigError(`${fix.sourceImage}: /testbed is not a git repository with a commit, so the trial cannot be replayed`);
    if (start.baseCommit && fix.testbedHead !== start.baseCommit) {
      throw new ConfigError(`${fix.sourceImage}'s /testbed is at ${fix.testbedHead.slice(0, 12)}, ${what} started at ${start.baseCommit.slice(0, 12)}: not the same start state`);
    }
    if (start.sourceImageId && fix.sourceImageId !== start.sourceImageId) {
      throw new ConfigError(`${fix.sourceImage} is now image ${fix.sourceImageId.slice(0, 12)}, ${what} ran on ${start.sourceImageId.slice(0, 12)}: not the same start state (give --image to replay on it anyway)`);
    }
    return { start, fix };
  }
  if (start.image === BASE_IMAGE) await ensureBaseImage();
  else await ensureImage(start.image, req.log);
  if (start.kind === 'image' && start.imageId) {
    const now = (await podman(['image', 'inspect', '--format', '{{.Id}}', start.image])).trim();
    if (now !== start.imageId) throw new ConfigError(`${start.image} is now image ${now.slice(0, 12)}, ${what} ran on ${start.imageId.slice(0, 12)}: not the same start state (give --image to replay on it anyway)`);
  }
  return { start, fix: null };
}

/** A fresh clone of the work tree at the recorded HEAD, in the replay's run folder. */
async function cloneWorkdir(start: Extract<ReplayStart, { kind: 'git' }>, dest: string): Promise<void> {
  const git = (args: string[]) => execa('git', args, { stdin: 'ignore', env: { GIT_TERMINAL_PROMPT: '0' } });
  try {
    await git(['clone', '--quiet', '--no-checkout', start.top, dest]);
    await git(['-C', dest, 'checkout', '--quiet', '--detach', start.head]);
  } catch (e) {
    throw new UserError(`cannot recreate ${start.top} at ${start.head.slice(0, 12)}: ${String((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').pop()}`, 2);
  }
}

interface OneReplay {
  req: ReplayRequest;
  original: Original;
  session: RecordedSession;
  prepared: Prepared;
  prompt: string;
  profile: Profile;
  thinkFactor: number;
  batch: { id: string; trialIndex: number } | null;
  /** What grading the trial's replay needs; null: not graded. */
  grading: GradingPlan | null;
}

/** The launch of one replay: its spec, the trial it is (SWE-bench), its work dir copy, the start state it records. */
interface ReplayLaunch {
  spec: LaunchSpec;
  trial: PreparedTrial | null;
  runDir: string;
  /** git: the fresh clone in the run folder, mounted where the original work dir was. */
  copy: string | null;
  /** A plain run's replay starts from the original's state; recorded, it can be replayed in turn. */
  ownStart: StartState | null;
}

async function prepareLaunch(o: OneReplay): Promise<ReplayLaunch> {
  const { original, prompt } = o;
  const { start, fix } = o.prepared;
  const launch = { ...o.req.launch, model: o.req.launch.model ?? original.run?.model ?? undefined };
  if (start.kind === 'trial') {
    const trial: PreparedTrial = { instanceId: original.run?.instance_id ?? imageBaseName(fix!.sourceImage), task: original.swebench?.task ?? null, fix: fix!, baseCommit: fix!.testbedHead!, prompt, problemFrom: `session ${original.sessionId}` };
    const spec = trialSpec(trial, o.profile, launch, o.batch?.id);
    return { spec, trial, runDir: runDirOf(o.req.dataDir, spec.runId), copy: null, ownStart: null };
  }
  const spec = buildLaunchSpec({ ...launch, profile: o.profile, image: start.image, workdir: start.workdir, workdirOnHost: false, promptBytes: Buffer.byteLength(prompt) });
  const runDir = runDirOf(o.req.dataDir, spec.runId);
  if (start.kind === 'image') return { spec, trial: null, runDir, copy: null, ownStart: { kind: 'image', workdir: start.workdir, image: start.image, imageId: start.imageId } };
  const copy = join(runDir, 'workdir');
  await cloneWorkdir(start, copy);
  // The copy where the original was: absolute paths in the recorded tool calls reach it, not the original.
  spec.extraMounts.push({ source: copy, target: start.top, readOnly: false });
  return { spec, trial: null, runDir, copy, ownStart: { kind: 'git', workdir: start.workdir, top: start.top, head: start.head, changes: 0 } };
}

/** The run itself: through the trial path for a SWE-bench trial, else a run with the replay's own hooks. */
async function launchReplay(o: OneReplay, l: ReplayLaunch, spec: LaunchSpec, signal: AbortSignal): Promise<RunOutcome & { patch?: PatchSummary | null }> {
  const { db, dataDir, log } = o.req;
  const common = { db, dataDir, spec, signal, sampleIntervalMs: o.req.launch.sampleIntervalMs, log };
  if (l.trial) return runTrial({ ...common, trial: l.trial, batch: o.batch ?? undefined });
  const { start } = o.prepared;
  let patch: PatchSummary | null = null;
  const outcome = await executeRun({
    ...common,
    prompt: o.prompt,
    hooks: {
      afterStart: ({ runId }) => {
        if (o.batch) linkReplayToBatch(db, runId, o.batch.id, o.batch.trialIndex);
        if (l.ownStart) recordStartState(db, runId, l.ownStart);
      },
      afterExit: async () => {
        if (start.kind === 'git' && !signal.aborted) patch = await captureRepoPatch(l.copy!, start.head, join(l.runDir, 'patch.diff'));
        return { replay: { originalRunId: o.original.run?.id ?? null, originalSessionId: o.original.sessionId, startState: start.kind, workdirCopy: l.copy, patch } };
      },
    },
  });
  return l.copy ? { ...outcome, patch } : outcome;
}

async function replayOnce(o: OneReplay): Promise<ReplayOutcome> {
  const { req, original, session } = o;
  const { db, log } = req;
  const l = await prepareLaunch(o);
  const script = buildReplayScript(session, { salt: l.spec.runId, thinkFactor: o.thinkFactor });
  const matcher = new ConversationMatcher(script);
  // The run stops on the user's signal, or when the scripted server refuses a request.
  const stop = new AbortController();
  const forward = () => stop.abort(req.signal.reason);
  if (req.signal.aborted) forward();
  req.signal.addEventListener('abort', forward, { once: true });
  let failure: string | null = null;
  const server = await startMockApi(matcher, {
    knownVersions: KNOWN_CLAUDE_CODE,
    onFailure: (e) => {
      if (failure) return;
      failure = e.message;
      log(`replay ${l.spec.runId}: ${e.message}; stopping the run`);
      stop.abort('replay-stopped');
    },
  });
  log(`replay ${l.spec.runId}: session ${original.sessionId}${original.run ? ` (run ${original.run.id})` : ''}, ${script.links.length} tool call(s) in ${session.conversations.length} conversation(s), think time ×${o.thinkFactor}, scripted server ${server.url}`);
  let outcome: RunOutcome & { patch?: PatchSummary | null };
  try {
    outcome = await launchReplay(o, l, pointAtScriptedApi(l.spec, server.url), stop.signal);
  } finally {
    req.signal.removeEventListener('abort', forward);
    await server.close();
  }
  const served = matcher.served.filter((s) => s.turn !== null).length;
  const summary: ReplaySummary = {
    originalRunId: original.run?.id ?? null,
    originalSessionId: original.sessionId,
    startState: o.prepared.start.kind,
    thinkTime: req.thinkTime,
    thinkFactor: o.thinkFactor,
    conversations: session.conversations.length,
    scriptSteps: script.conversations.reduce((n, c) => n + c.turns.length, 0),
    stepsServed: served,
    pastEndRequests: matcher.served.length - served,
    ...recordDivergence(db, { replayRunId: outcome.runId, originalRunId: original.run?.id ?? null, links: script.links }),
    originalPatchSha256: original.run ? sha256File(join(original.run.run_dir, 'patch.diff')) : null,
    replayPatchSha256: sha256File(join(outcome.runDir, 'patch.diff')),
    error: failure,
    warnings: session.warnings,
  };
  recordReplay(db, outcome.runId, summary);
  // Beside the replay, as beside a trial: graded once the run and its divergence are recorded.
  const graded = l.trial && outcome.status !== 'interrupted' && !failure ? await gradeTrial({ db, grading: req.grading, signal: req.signal }, outcome.runId, o.grading, log) : null;
  return { ...outcome, ...(o.prepared.fix ? { fix: o.prepared.fix } : {}), replay: summary, ...(graded ?? {}) };
}

/** A trial's replay is graded against the original's task record, checked before anything runs. */
function gradingPlanOf(start: ReplayStart, original: Original, req: ReplayRequest, log: (line: string) => void): GradingPlan | null {
  if (!req.grading || start.kind !== 'trial') return null;
  const task = original.swebench?.task ?? null;
  if (!task) {
    log('replay: not graded: the original trial has no task record (its result.json names none)');
    return null;
  }
  return planGrading(task, req.grading);
}

/** Every replay of the invocation (profiles × repeats, in order); it stops at the first that the script could not answer. */
export async function replaySession(req: ReplayRequest): Promise<ReplayOutcome[]> {
  const { db, log } = req;
  const original = loadOriginal(db, req.source);
  const session = loadSession(db, original.sessionId);
  const start = planStart(original, req.image);
  const thinkFactor = parseThinkTime(req.thinkTime);
  if (!Number.isInteger(req.repeat) || req.repeat < 1) throw new ConfigError(`--repeat must be a positive whole number, got ${req.repeat}`);
  const base = req.profiles ? req.profiles.map((p) => loadProfile(p)) : [original.run ? originalProfile(db, original.run.id) : loadProfile('default')];
  const profiles = base.map((p) => applyOverrides(p, req.overrides));
  const prompt = original.promptFile ? readFileSync(original.promptFile, 'utf8') : session.conversations[0].prompt;
  for (const w of session.warnings) log(`replay: ${w}`);
  const grading = gradingPlanOf(start, original, req, log);
  const prepared = await prepareStart(start, original, req);

  const plan = profiles.flatMap((profile) => Array.from({ length: req.repeat }, (_, trialIndex) => ({ profile, trialIndex })));
  const batchId = plan.length > 1 ? `r${randomBytes(6).toString('hex')}` : null;
  if (batchId) {
    beginBatch(db, { id: batchId, name: `replay of ${original.run ? `run ${original.run.id}` : `session ${original.sessionId}`}`, tasksFile: `replay:${original.sessionId}`, tasksSha256: '', profiles: profiles.map((p) => p.name), repeat: req.repeat, parallel: 1 });
    log(`replay batch ${batchId}: ${plan.length} replays (${profiles.map((p) => p.name).join(', ')} × ${req.repeat})`);
  }
  const outcomes: ReplayOutcome[] = [];
  try {
    for (const { profile, trialIndex } of plan) {
      if (req.signal.aborted) break;
      const outcome = await replayOnce({ req, original, session, prepared, prompt, profile, thinkFactor, batch: batchId ? { id: batchId, trialIndex } : null, grading });
      outcomes.push(outcome);
      if (outcome.replay.error) break;
    }
  } finally {
    if (batchId) endBatch(db, batchId, req.signal.aborted ? 'interrupted' : outcomes.length === plan.length ? 'done' : 'incomplete');
  }
  return outcomes;
}

/** What a replay would play, without launching anything (--dry-run). */
export function describeReplayPlan(req: Pick<ReplayRequest, 'db' | 'source' | 'image' | 'thinkTime'>) {
  const original = loadOriginal(req.db, req.source);
  const session = loadSession(req.db, original.sessionId);
  const thinkFactor = parseThinkTime(req.thinkTime);
  const script = buildReplayScript(session, { salt: 'dry-run', thinkFactor });
  return {
    originalRunId: original.run?.id ?? null,
    originalSessionId: original.sessionId,
    start: planStart(original, req.image),
    thinkFactor,
    conversations: script.conversations.map((c) => ({
      conversation: c.key,
      prompt: c.prompt.length > 200 ? `${c.prompt.slice(0, 197)}...` : c.prompt,
      steps: c.turns.map((t) => ({
        delayMs: (t.delay_ms ?? 0) + t.content.reduce((n, b) => n + (b.delay_ms ?? 0), 0),
        blocks: t.content.map((b) => (b.type === 'tool_use' ? `tool_use ${b.name}` : b.type)),
      })),
    })),
    toolCalls: script.links.length,
    warnings: session.warnings,
  };
}
