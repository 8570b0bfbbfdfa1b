import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open.js';
import { ConfigError } from '../../src/errors.js';
import { batchPredictions } from '../../src/grading/preds.js';
import { analysisDb, insertBatch, insertRun } from '../helpers/analysis-db.js';

let db: Db;
let dir: string;

/** A trial row with its folder; `patch` null leaves no patch.diff. */
function trial(id: string, instance: string, profile: string, trialIndex: number, status: string, startedAt: number, patch: string | null) {
  const runDir = join(dir, 'runs', id);
  mkdirSync(runDir, { recursive: true });
  if (patch !== null) writeFileSync(join(runDir, 'patch.diff'), patch);
  insertRun(db, { id, batch_id: 'b1', instance_id: instance, profile, trial_index: trialIndex, status, started_at: startedAt, run_dir: runDir, source_image: 'localhost/i' });
}

beforeAll(() => {
  ({ db, dir } = analysisDb());
  insertBatch(db, 'b1');
  trial('r1', 'o__a-1', 'small', 0, 'ok', 1, 'diff --git a/x b/x\n');
  trial('r2', 'o__a-1', 'small', 1, 'oom', 2, '');
  trial('r3', 'o__b-2', 'small', 0, 'interrupted', 3, 'partial');
  trial('r4', 'o__b-2', 'small', 0, 'failed', 4, null);
  trial('r5', 'o__a-1', 'large', 0, 'ok', 5, 'diff --git a/y b/y\n');
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export preds', () => {
  it('writes one prediction per instance for the chosen profile and repeat: the latest finished run, an empty patch as ""', () => {
    expect(batchPredictions(db, { batchId: 'b1', profile: 'small', trial: 0 })).toEqual([
      { instance_id: 'o__a-1', model_name_or_path: 'agentpod__b1__small__0', model_patch: 'diff --git a/x b/x\n' },
      // r3 was interrupted (run again by the batch): r4 is the trial's run; it left no patch.
      { instance_id: 'o__b-2', model_name_or_path: 'agentpod__b1__small__0', model_patch: '' },
    ]);
    expect(batchPredictions(db, { batchId: 'b1', profile: 'large', modelName: 'claude-x' })).toEqual([{ instance_id: 'o__a-1', model_name_or_path: 'claude-x', model_patch: 'diff --git a/y b/y\n' }]);
  });

  it('asks to choose when the batch has several profiles or repeats, and names what it has', () => {
    const refused = (sel: Parameters<typeof batchPredictions>[1]) => {
      try {
        batchPredictions(db, sel);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(refused({ batchId: 'b1' })).toBe('the batch has 2 profiles (large, small): the harness takes one prediction per instance, so choose with --profile');
    expect(refused({ batchId: 'b1', profile: 'small' })).toBe('the batch has 2 repeats (trial indexes) (0, 1): the harness takes one prediction per instance, so choose with --trial');
    expect(refused({ batchId: 'b1', profile: 'tiny' })).toBe('--profile tiny: the batch has profiles large, small');
    expect(refused({ batchId: 'nope' })).toBe('no trial of batch nope in the database');
  });
});
