// Changing a running container's limits and reading them back: what `agentpod limits` and a profile's
// schedule do (the changes are recorded by events.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { podman } from '../podman/client.js';
import type { LimitChange } from '../profiles.js';
import { parseRawLine } from '../sampler/parse.js';
import type { SourceLocation } from '../sampler/locate.js';
import { controllableDir, notApplied, readingsOf, updatePlan, type KeyReading } from './cgroup-limits.js';

function readLine(path: string): string | null {
  try {
    return parseRawLine(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** What is in force now, read from the cgroup (start of a run: the limits podman was given). */
export function readLimits(location: SourceLocation | null, change: LimitChange): KeyReading[] {
  const target = controllableDir(location);
  if ('cannot' in target) return notApplied(change, `not applied: ${target.cannot}`);
  return readingsOf(change, (file) => readLine(join(target.dir, file)), null);
}

/**
 * Applies the change (podman update, then the cgroup files podman cannot set) and reads every key back.
 * `reassert` are cgroup files to write again after podman update: with runc, systemd rewrites memory.high and
 * cpu.weight from the unit's properties when podman updates the unit, undoing earlier direct writes.
 */
export async function applyLimits(containerName: string, location: SourceLocation | null, change: LimitChange, reassert: { file: string; value: string }[] = []): Promise<KeyReading[]> {
  const target = controllableDir(location);
  if ('cannot' in target) return notApplied(change, `not applied: ${target.cannot}`);
  const plan = updatePlan(change);
  const failures: string[] = [];
  if (plan.podmanArgs.length) {
    try {
      await podman(['update', ...plan.podmanArgs, containerName]);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  const written = new Set(plan.writes.map((w) => w.file));
  const writes = [...plan.writes, ...(plan.podmanArgs.length ? reassert.filter((w) => !written.has(w.file)) : [])];
  for (const w of writes) {
    try {
      writeFileSync(join(target.dir, w.file), w.value);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The cgroup is gone: the container exited (often OOM-killed by the lower memory.max just written), which
      // the read-back says for every key.
      if (code !== 'ENOENT') failures.push(`writing ${w.file}: ${code ?? (e as Error).message}`);
    }
  }
  return readingsOf(change, (file) => readLine(join(target.dir, file)), failures.length ? failures.join('; ') : null);
}
