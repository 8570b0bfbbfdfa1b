// The recording a replay plays again: an agentpod run (its row, start state, prompt, SWE-bench task) or a bare
// ingested session, and the start state the replay recreates (pure: planStart).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { readStartState, type StartState } from '../run/start-state.js';
import { TESTBED } from '../swebench/env.js';
import type { SwebenchTask } from '../swebench/task.js';

export interface OriginalRun {
  id: string;
  session_id: string;
  status: string;
  profile: string;
  model: string | null;
  image: string;
  workdir: string;
  run_dir: string;
  prompt_sha256: string;
  duration_ms: number | null;
  instance_id: string | null;
  source_image: string | null;
  base_commit: string | null;
}

export interface Original {
  sessionId: string;
  run: OriginalRun | null;
  startState: StartState | null;
  /** The session's cwd as the trace says. */
  cwd: string | null;
  /** result.json's swebench part, when the run folder still has it. */
  swebench: { task: SwebenchTask | null; sourceImageId: string | null } | null;
  /** The run's prompt.txt when it is still there and is the prompt the run was given. */
  promptFile: string | null;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** RUN_ID or --session ID, from the database; anything missing is one clear error (exit 2). */
export function loadOriginal(db: Db, source: { runId?: string; sessionId?: string }): Original {
  let run: OriginalRun | null = null;
  let sessionId: string;
  if (source.runId !== undefined) {
    run = (db.prepare('SELECT * FROM runs WHERE id = ?').get(source.runId) as OriginalRun | undefined) ?? null;
    if (!run) throw new ConfigError(`no run ${source.runId} in the database`);
    sessionId = run.session_id;
  } else {
    sessionId = source.sessionId!;
    run = (db.prepare('SELECT * FROM runs WHERE session_id = ?').get(sessionId) as OriginalRun | undefined) ?? null;
  }
  const facts = db.prepare('SELECT cwd FROM session_facts WHERE session_id = ?').get(sessionId) as { cwd: string | null } | undefined;
  if (!facts) {
    throw new ConfigError(
      run
        ? `run ${run.id}'s session ${sessionId} is not in the database: ingest its trace first (agentpod ingest ${join(run.run_dir, 'trace.jsonl')})`
        : `no session ${sessionId} in the database (agentpod ingest puts traces there)`,
    );
  }
  const result = run ? readJson(join(run.run_dir, 'result.json')) : null;
  const swebench = (result?.swebench ?? null) as { task?: SwebenchTask | null; sourceImageId?: string } | null;
  const promptFile = run ? join(run.run_dir, 'prompt.txt') : null;
  const promptOk = promptFile !== null && existsSync(promptFile) && createHash('sha256').update(readFileSync(promptFile)).digest('hex') === run!.prompt_sha256;
  return {
    sessionId,
    run,
    startState: run ? readStartState(db, run.id) : null,
    cwd: facts.cwd,
    swebench: swebench ? { task: swebench.task ?? null, sourceImageId: swebench.sourceImageId ?? null } : null,
    promptFile: promptOk ? promptFile : null,
  };
}

export type ReplayStart =
  /** A SWE-bench trial: the same fixed image at the same base commit, through the trial path. */
  | { kind: 'trial'; sourceImage: string; baseCommit: string | null; sourceImageId: string | null }
  /** A plain run in a clean git work tree: a fresh clone at the recorded HEAD, mounted where the original was. */
  | { kind: 'git'; image: string; workdir: string; top: string; head: string }
  /** A plain run whose work dir lives in its image. */
  | { kind: 'image'; image: string; workdir: string; imageId: string | null };

const refuse = (what: string): never => {
  throw new ConfigError(what);
};

/** How the replay recreates the original's start state, or why it cannot (`image`: --image). */
export function planStart(o: Pick<Original, 'sessionId' | 'run' | 'startState' | 'cwd' | 'swebench'>, image?: string): ReplayStart {
  const { run, startState } = o;
  const what = run ? `run ${run.id}` : `session ${o.sessionId}`;
  if (run?.source_image) {
    return { kind: 'trial', sourceImage: image ?? run.source_image, baseCommit: run.base_commit, sourceImageId: image ? null : (o.swebench?.sourceImageId ?? null) };
  }
  if (startState?.kind === 'git') {
    if (startState.changes > 0) {
      refuse(`${what} started in ${startState.workdir} with ${startState.changes} uncommitted change(s) or untracked file(s): agentpod can recreate only a clean git work tree, so it cannot replay it`);
    }
    return { kind: 'git', image: image ?? run!.image, workdir: startState.workdir, top: startState.top, head: startState.head };
  }
  if (startState?.kind === 'image') {
    return { kind: 'image', image: image ?? startState.image, workdir: startState.workdir, imageId: image ? null : startState.imageId };
  }
  if (image) {
    const workdir = o.cwd ?? run?.workdir;
    if (!workdir) refuse(`${what}: the trace names no working directory to replay in`);
    return workdir === TESTBED ? { kind: 'trial', sourceImage: image, baseCommit: null, sourceImageId: null } : { kind: 'image', image, workdir: workdir!, imageId: null };
  }
  if (startState?.kind === 'none') {
    return refuse(`${what} started in ${startState.workdir}, which is ${startState.reason}: agentpod recorded no state it can recreate, so it cannot replay it (give --image I to replay it in an image that holds that state)`);
  }
  return refuse(
    `${what} has no recorded start state (${run ? 'it ran before agentpod recorded one' : 'agentpod did not run it'}): give --image I to replay it in an image that holds its starting state`,
  );
}
