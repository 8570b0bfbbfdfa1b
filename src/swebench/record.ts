// The SWE-bench columns of a runs row: set when the row is inserted, and again with the patch at the end.
import type { Db } from '../db/open.js';

export interface TrialColumns {
  batchId: string | null;
  instanceId: string;
  trialIndex: number | null;
  sourceImage: string;
  fixedImage: string;
  baseCommit: string;
  testEnv: string | null;
  patchBytes: number | null;
  patchFiles: number | null;
}

export function recordTrialColumns(db: Db, runId: string, c: TrialColumns): void {
  db.prepare(
    `UPDATE runs SET batch_id = @batchId, instance_id = @instanceId, trial_index = @trialIndex, source_image = @sourceImage,
       fixed_image = @fixedImage, base_commit = @baseCommit, test_env = @testEnv, patch_bytes = @patchBytes, patch_files = @patchFiles
     WHERE id = @runId`,
  ).run({ runId, ...c });
}
