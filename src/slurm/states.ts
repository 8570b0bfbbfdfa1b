// Slurm's job states, and what they mean for a trial: still to come, running, or ended (and, for a task that
// died before publishing its shard, which runs.status its row gets).
import type { RunStatus } from '../run/record.js';

export type TaskPhase = 'pending' | 'running' | 'ended';

const PENDING = ['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED'];
const RUNNING = ['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESIZING'];

export function taskPhase(state: string): TaskPhase {
  if (PENDING.includes(state)) return 'pending';
  if (RUNNING.includes(state)) return 'running';
  return 'ended';
}

/**
 * The runs.status of a task that ended without publishing its shard (the row comes from Slurm's record).
 * null: no row. COMPLETED without a shard cannot come from agentpod (it publishes before exiting 0), and a task
 * that never started has no trial to record (a rerun submits it again).
 */
export function deadTaskStatus(state: string): Exclude<RunStatus, 'running'> | null {
  switch (state) {
    case 'OUT_OF_MEMORY':
      return 'oom';
    case 'TIMEOUT':
    case 'DEADLINE':
      return 'timeout';
    case 'CANCELLED':
    case 'PREEMPTED':
      return 'interrupted';
    case 'FAILED':
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
    case 'SPECIAL_EXIT':
      return 'failed';
    default:
      return null;
  }
}
