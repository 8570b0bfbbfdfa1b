// `agentpod limits RUN_ID ...`: the limits of a run that is going on, changed from another process.
import { hostname } from 'node:os';
import type { Db } from '../db/open.js';
import { ConfigError, UserError } from '../errors.js';
import { inspectContainer } from '../podman/client.js';
import type { LimitChange } from '../profiles.js';
import { locateSource } from '../sampler/locate.js';
import { normalizeChange, type KeyReading } from './cgroup-limits.js';
import { applyLimits } from './apply.js';
import { recordLimitEvents, softTargets } from './events.js';

interface RunRow {
  status: string;
  container_name: string;
  owner_host: string;
}

export async function changeRunLimits(db: Db, runId: string, change: LimitChange): Promise<KeyReading[]> {
  const run = db.prepare('SELECT status, container_name, owner_host FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  if (!run) throw new ConfigError(`no run ${runId} in the database`);
  if (run.status !== 'running') throw new ConfigError(`run ${runId} is not running (status ${run.status}): limits can only change while it runs`);
  if (run.owner_host !== hostname()) throw new ConfigError(`run ${runId} runs on host ${run.owner_host}: change its limits there`);
  const info = await inspectContainer(run.container_name);
  if (!info || info.State.Pid <= 0) throw new UserError(`run ${runId}: its container ${run.container_name} is not running (as this user: run agentpod limits as the user that launched it)`);
  const location = locateSource({ id: info.Id, pid: info.State.Pid });
  const normalized = normalizeChange(change);
  const readings = await applyLimits(run.container_name, location, normalized, softTargets(db, runId));
  recordLimitEvents(db, runId, Date.now(), 'command', readings);
  return readings;
}
