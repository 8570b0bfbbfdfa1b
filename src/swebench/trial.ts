// One SWE-bench trial, shared by `agentpod swebench` and `agentpod batch`: the prompt from the issue and
// template, a run of the fixed image in /testbed, the patch captured after the exit, the row completed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { UserError } from '../errors.js';
import type { Profile } from '../profiles.js';
import { executeRun, type RunOutcome } from '../run/execute.js';
import { assertPromptCarriable } from '../run/prompt-check.js';
import { buildLaunchSpec } from '../run/resolve.js';
import type { LaunchSpec, ShareMode } from '../launch-spec.js';
import { TESTBED, trialEnv } from './env.js';
import type { FixResult } from './fix.js';
import { imageBaseName, swebenchImageFor } from './image-name.js';
import { readImageIssue } from './issue.js';
import { capturePatch, type PatchSummary } from './patch.js';
import { promptValues, renderPrompt, type PromptTemplate } from './prompt.js';
import { recordTrialColumns } from './record.js';
import { chooseProblemStatement, type SwebenchTask } from './task.js';

export const LABEL_INSTANCE_ID = 'agentpod.instance-id';
export const LABEL_BATCH_ID = 'agentpod.batch-id';

/** The trial's task record in its run folder (agentpod's parsed form, see SwebenchTask). */
export const TASK_FILE = 'task.json';

/** The task record a trial ran on, from its run folder; null when the folder keeps none. */
export function readTrialTask(runDir: string): SwebenchTask | null {
  const file = join(runDir, TASK_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SwebenchTask) : null;
}

/** The image a task names (image_name / docker_image), or SWE-bench's image for its instance id. */
export function taskImage(task: SwebenchTask, log: (line: string) => void): string {
  if (task.image) return task.image;
  const image = swebenchImageFor(task.instanceId);
  log(`${task.instanceId}: the task names no image_name or docker_image; using SWE-bench's ${image}`);
  return image;
}

export interface PreparedTrial {
  instanceId: string;
  task: SwebenchTask | null;
  fix: FixResult;
  baseCommit: string;
  prompt: string;
  /** Where the problem statement came from, for the user. */
  problemFrom: string;
}

/** Everything before the launch that can fail with a clear message: problem statement, base commit, prompt. */
export async function prepareTrial(input: { task: SwebenchTask | null; fix: FixResult; template: PromptTemplate; dataDir: string; log: (line: string) => void }): Promise<PreparedTrial> {
  const { task, fix } = input;
  const baseCommit = fix.testbedHead;
  if (!baseCommit) throw new UserError(`${fix.sourceImage}: ${TESTBED} is not a git repository with a commit, so no patch could be taken`, 2);
  if (task?.baseCommit && !baseCommit.startsWith(task.baseCommit) && !task.baseCommit.startsWith(baseCommit)) {
    input.log(`${task.instanceId}: ${TESTBED} is at ${baseCommit.slice(0, 12)}, the task's base_commit is ${task.baseCommit.slice(0, 12)}; the patch is taken against ${TESTBED}'s HEAD`);
  }
  const problem = chooseProblemStatement(await readImageIssue(fix, input.dataDir), task, fix.sourceImage);
  const instanceId = task?.instanceId ?? imageBaseName(fix.sourceImage);
  const prompt = renderPrompt(input.template, promptValues(task, problem.text, instanceId, fix.sourceImage, baseCommit));
  assertPromptCarriable(prompt, `${instanceId}: the prompt`);
  return { instanceId, task, fix, baseCommit, prompt, problemFrom: problem.from };
}

/** Launch settings from the command line, the same for every trial of a command. */
export interface TrialLaunch {
  model?: string;
  shareMode: ShareMode;
  runtime?: string;
  claude?: string;
  sampleIntervalMs: number;
  processSampleEvery?: number;
}

export function trialSpec(t: PreparedTrial, profile: Profile, launch: TrialLaunch, batchId?: string): LaunchSpec {
  return buildLaunchSpec({
    profile,
    image: t.fix.fixedImage,
    workdir: TESTBED,
    workdirOnHost: false,
    model: launch.model,
    shareMode: launch.shareMode,
    runtime: launch.runtime,
    claude: launch.claude,
    promptBytes: Buffer.byteLength(t.prompt),
    env: trialEnv(t.fix.testEnv),
    labels: { [LABEL_INSTANCE_ID]: t.instanceId, ...(batchId ? { [LABEL_BATCH_ID]: batchId } : {}) },
  });
}

export interface TrialRequest {
  db: Db;
  dataDir: string;
  trial: PreparedTrial;
  spec: LaunchSpec;
  sampleIntervalMs: number;
  processSampleEvery?: number;
  batch?: { id: string; trialIndex: number };
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface TrialOutcome extends RunOutcome {
  /** null when no patch was taken (the run was interrupted, or the capture failed: see error). */
  patch: PatchSummary | null;
}

export async function runTrial(req: TrialRequest): Promise<TrialOutcome> {
  const { trial } = req;
  const { fix } = trial;
  if (fix.testEnv) req.log(`${trial.instanceId}: test env ${fix.testEnv} found in the image; ${fix.testEnv}/bin goes first on PATH`);
  const captured: { patch: PatchSummary | null } = { patch: null };
  const columns = (patch: PatchSummary | null) => ({
    batchId: req.batch?.id ?? null,
    instanceId: trial.instanceId,
    trialIndex: req.batch?.trialIndex ?? null,
    sourceImage: fix.sourceImage,
    fixedImage: fix.fixedImage,
    baseCommit: trial.baseCommit,
    testEnv: fix.testEnv,
    patchBytes: patch?.bytes ?? null,
    patchFiles: patch?.files ?? null,
  });
  const outcome = await executeRun({
    db: req.db,
    dataDir: req.dataDir,
    spec: req.spec,
    prompt: trial.prompt,
    signal: req.signal,
    sampleIntervalMs: req.sampleIntervalMs,
    processSampleEvery: req.processSampleEvery,
    log: req.log,
    hooks: {
      // Linked to its batch from the start: a trial cut off by a crash still shows as the batch's.
      // The record goes with the run: a later `agentpod grade RUN_ID` grades against what the trial ran on.
      afterStart: ({ runId, runDir }) => {
        recordTrialColumns(req.db, runId, columns(null));
        if (trial.task) writeFileSync(join(runDir, TASK_FILE), `${JSON.stringify(trial.task, null, 2)}\n`);
      },
      afterExit: async ({ containerName, runDir }) => {
        // Interrupted trials are run again; stopping fast matters more than their partial patch.
        if (!req.signal?.aborted) captured.patch = await capturePatch(containerName, trial.baseCommit, join(runDir, 'patch.diff'));
        return {
          swebench: {
            instanceId: trial.instanceId,
            sourceImage: fix.sourceImage,
            sourceImageId: fix.sourceImageId,
            fixedImage: fix.fixedImage,
            fixedImageId: fix.fixedImageId,
            baseCommit: trial.baseCommit,
            testEnv: fix.testEnv,
            problemStatementFrom: trial.problemFrom,
            patch: captured.patch,
            task: trial.task,
          },
        };
      },
    },
  });
  recordTrialColumns(req.db, outcome.runId, columns(captured.patch));
  return { ...outcome, patch: captured.patch };
}
