// Predictions in the format the SWE-bench harness and sb-cli read (one JSON object per line: instance_id,
// model_name_or_path, model_patch), from a batch's trials — one trial per instance, as the harness keys them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';

export interface PredsSelection {
  batchId: string;
  /** Which profile's trials (needed when the batch has several). */
  profile?: string;
  /** Which repeat (0-based trial index; needed when the batch has several). */
  trial?: number;
  modelName?: string;
}

export interface Prediction {
  instance_id: string;
  model_name_or_path: string;
  model_patch: string;
}

interface TrialRow {
  id: string;
  instance_id: string;
  profile: string;
  trial_index: number;
  status: string;
  run_dir: string;
  model: string | null;
}

/** Only one of several values is allowed, or the one asked for. */
function choose<T extends string | number>(values: T[], asked: T | undefined, what: string, flag: string): T {
  const distinct = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (asked !== undefined) {
    if (!distinct.includes(asked)) throw new ConfigError(`${flag} ${asked}: the batch has ${what} ${distinct.join(', ')}`);
    return asked;
  }
  if (distinct.length > 1) throw new ConfigError(`the batch has ${distinct.length} ${what} (${distinct.join(', ')}): the harness takes one prediction per instance, so choose with ${flag}`);
  return distinct[0];
}

export function batchPredictions(db: Db, sel: PredsSelection): Prediction[] {
  const rows = db
    .prepare(`SELECT id, instance_id, profile, trial_index, status, run_dir, model FROM runs WHERE batch_id = ? AND instance_id IS NOT NULL ORDER BY instance_id, started_at DESC`)
    .all(sel.batchId) as TrialRow[];
  if (rows.length === 0) throw new ConfigError(`no trial of batch ${sel.batchId} in the database`);
  const profile = choose(rows.map((r) => r.profile), sel.profile, 'profiles', '--profile');
  const ofProfile = rows.filter((r) => r.profile === profile);
  const trial = choose(ofProfile.map((r) => r.trial_index), sel.trial, 'repeats (trial indexes)', '--trial');
  const model = sel.modelName ?? `agentpod__${sel.batchId}__${profile}__${trial}`;
  const byInstance = new Map<string, TrialRow>();
  // The latest finished run of each instance (an interrupted one is run again by the batch).
  for (const r of ofProfile) if (r.trial_index === trial && r.status !== 'running' && r.status !== 'interrupted' && !byInstance.has(r.instance_id)) byInstance.set(r.instance_id, r);
  return [...byInstance.values()].map((r) => {
    const patchFile = join(r.run_dir, 'patch.diff');
    return { instance_id: r.instance_id, model_name_or_path: model, model_patch: existsSync(patchFile) ? readFileSync(patchFile, 'utf8') : '' };
  });
}
