// Containers whose agentpod died (kill -9, reboot, crash) are found by their labels and removed on the
// next start; their runs rows, still 'running', are closed as interrupted.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Db } from '../db/open.js';
import { podmanJson, removeContainer } from '../podman/client.js';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID } from '../launch-spec.js';

interface PsEntry {
  Id: string;
  Names: string[];
  Labels: Record<string, string> | null;
}

/** True when pid is a live node process (a recycled pid running something else does not count). */
export function isAgentpodAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|agentpod/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** Removes leftover containers of dead agentpod processes on this host; returns their names. */
export async function sweepLeftovers(db: Db | null): Promise<string[]> {
  const entries = await podmanJson<PsEntry[]>(['ps', '-a', '--filter', `label=${LABEL_OWNER_PID}`, '--format', 'json']);
  const here = hostname();
  const removed: string[] = [];
  for (const entry of entries) {
    const labels = entry.Labels ?? {};
    const pid = Number(labels[LABEL_OWNER_PID]);
    if (labels[LABEL_OWNER_HOST] !== here || !Number.isInteger(pid) || isAgentpodAlive(pid)) continue;
    await removeContainer(entry.Id);
    removed.push(entry.Names[0] ?? entry.Id);
  }
  if (db) closeOrphanedRuns(db);
  return removed;
}

/** Runs left 'running' by an agentpod that no longer exists become 'interrupted'. */
export function closeOrphanedRuns(db: Db): number {
  const rows = db.prepare(`SELECT id, owner_pid FROM runs WHERE status = 'running' AND owner_host = ?`).all(hostname()) as {
    id: string;
    owner_pid: number;
  }[];
  // finished_at stays NULL: when the run really ended is unknown.
  const close = db.prepare(
    `UPDATE runs SET status = 'interrupted', error = 'agentpod process ended before the run was recorded'
     WHERE id = ? AND status = 'running'`,
  );
  let closed = 0;
  for (const row of rows) {
    if (row.owner_pid === process.pid || isAgentpodAlive(row.owner_pid)) continue;
    closed += close.run(row.id).changes;
  }
  return closed;
}

