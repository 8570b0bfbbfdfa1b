// The batches row and the trials a batch already has: what makes a batch resumable.
import type { Db } from '../db/open.js';
import type { ExistingTrial } from './matrix.js';

export type BatchStatus = 'running' | 'done' | 'incomplete' | 'interrupted';

export interface BatchSpec {
  id: string;
  name: string;
  tasksFile: string;
  tasksSha256: string;
  profiles: string[];
  repeat: number;
  parallel: number;
}

interface BatchRow {
  tasks_sha256: string;
  profiles: string;
  repeat: number;
}

/**
 * Starts a pass over the batch: inserts its row, or marks an existing one running again (a --name batch may
 * have grown: the row then describes the latest pass). Returns what changed since the last pass, if anything.
 */
export function beginBatch(db: Db, spec: BatchSpec, now = Date.now()): { resumed: boolean; changed: string[] } {
  const params = { ...spec, profiles: JSON.stringify(spec.profiles), now };
  return db.transaction(() => {
    const previous = db.prepare('SELECT tasks_sha256, profiles, repeat FROM batches WHERE id = ?').get(spec.id) as BatchRow | undefined;
    if (!previous) {
      db.prepare(
        `INSERT INTO batches (id, name, tasks_file, tasks_sha256, profiles, repeat, parallel, created_at, status)
         VALUES (@id, @name, @tasksFile, @tasksSha256, @profiles, @repeat, @parallel, @now, 'running')`,
      ).run(params);
      return { resumed: false, changed: [] };
    }
    const changed = [
      previous.tasks_sha256 !== spec.tasksSha256 ? 'tasks' : '',
      previous.profiles !== params.profiles ? 'profiles' : '',
      previous.repeat !== spec.repeat ? 'repeat' : '',
    ].filter(Boolean);
    db.prepare(
      `UPDATE batches SET name = @name, tasks_file = @tasksFile, tasks_sha256 = @tasksSha256, profiles = @profiles, repeat = @repeat,
         parallel = @parallel, finished_at = NULL, status = 'running' WHERE id = @id`,
    ).run(params);
    return { resumed: true, changed };
  })();
}

export function batchTrials(db: Db, batchId: string): ExistingTrial[] {
  return db
    .prepare('SELECT id AS runId, instance_id AS instanceId, profile, trial_index AS trialIndex, status, eval_status AS evalStatus FROM runs WHERE batch_id = ?')
    .all(batchId) as ExistingTrial[];
}

export function endBatch(db: Db, batchId: string, status: Exclude<BatchStatus, 'running'>, now = Date.now()): void {
  db.prepare('UPDATE batches SET status = ?, finished_at = ? WHERE id = ?').run(status, now, batchId);
}
