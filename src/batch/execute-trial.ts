// One trial of a batch, whatever engine runs it (in this process, or as a Slurm array task): the image fixed
// (once per image and process), the prompt prepared, the agent run with its patch captured.
import type { Db } from '../db/open.js';
import type { Profile } from '../profiles.js';
import type { LaunchSpec } from '../run/spec.js';
import { fixImage, type FixResult } from '../swebench/fix.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import { prepareTrial, runTrial, trialSpec, type TrialLaunch, type TrialOutcome } from '../swebench/trial.js';
import type { TrialKey } from './matrix.js';

export interface TrialContext {
  db: Db;
  dataDir: string;
  batchId: string;
  template: PromptTemplate;
  launch: TrialLaunch;
  uid: number;
  gid: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** The command podman's client runs under, per trial (the Slurm engine: a step with the profile's limits). */
  clientPrefix?: (spec: LaunchSpec) => string[];
}

/** One permission fix per image for the whole batch pass; a failed fix fails its trials, without retrying. */
export function fixCache(ctx: Pick<TrialContext, 'uid' | 'gid' | 'signal' | 'log'>): (image: string) => Promise<FixResult> {
  const fixes = new Map<string, Promise<FixResult>>();
  return (image) => {
    let fix = fixes.get(image);
    if (!fix) {
      fix = fixImage(image, { uid: ctx.uid, gid: ctx.gid, log: ctx.log, signal: ctx.signal });
      fix.catch(() => {});
      fixes.set(image, fix);
    }
    return fix;
  };
}

export interface TrialInput {
  key: TrialKey;
  task: SwebenchTask;
  image: string;
  profile: Profile;
  fix: (image: string) => Promise<FixResult>;
  /** Log lines of this trial (the engine prefixes them with the trial's label). */
  log: (line: string) => void;
}

export async function executeTrial(ctx: TrialContext, input: TrialInput): Promise<TrialOutcome> {
  const fix = await input.fix(input.image);
  const trial = await prepareTrial({ task: input.task, fix, template: ctx.template, dataDir: ctx.dataDir, log: ctx.log });
  const base = trialSpec(trial, input.profile, ctx.launch, ctx.batchId);
  const spec = ctx.clientPrefix ? { ...base, clientPrefix: ctx.clientPrefix(base) } : base;
  return runTrial({
    db: ctx.db,
    dataDir: ctx.dataDir,
    trial,
    spec,
    sampleIntervalMs: ctx.launch.sampleIntervalMs,
    batch: { id: ctx.batchId, trialIndex: input.key.trialIndex },
    signal: ctx.signal,
    log: input.log,
  });
}
