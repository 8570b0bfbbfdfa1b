// The Slurm engine: a pass becomes one job array per profile (one task per trial, each running
// `agentpod slurm-task`, which calls the same trial executor as the local engine) and a merge job that brings
// the trials' shards into the database (src/slurm/, docs/slurm.md).
import type { TrialKey } from '../batch/matrix.js';
import type { Db } from '../db/open.js';
import { collectBatch } from '../slurm/collect.js';
import { submitPass, type SubmitOptions } from '../slurm/submit.js';
import type { BatchEngine, BatchPass, SlurmPassOutcome } from './engine.js';

export type SlurmOptions = SubmitOptions;

export class SlurmEngine implements BatchEngine {
  readonly name = 'slurm';

  constructor(private readonly options: SlurmOptions) {}

  /** Merges what the batch's tasks published, records those that died, and returns those still queued or running. */
  async catchUp(db: Db): Promise<TrialKey[]> {
    const collected = await collectBatch(db, this.options.batchDir);
    const merged = collected.shards.filter((s) => s.status === 'merged').length;
    const skipped = collected.shards.filter((s) => s.status === 'skipped');
    if (merged || collected.deadTaskRows) this.options.log(`merged ${merged} new shard(s)${collected.deadTaskRows ? ` and ${collected.deadTaskRows} task(s) that died before publishing` : ''}`);
    for (const s of skipped) this.options.log(`skipped shard ${s.file}: ${s.reason}`);
    return collected.inFlight;
  }

  run(pass: BatchPass): Promise<SlurmPassOutcome> {
    return submitPass(pass, this.options);
  }
}
