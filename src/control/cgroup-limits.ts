// Where each limit lives in a container's cgroup v2 directory, how a change is made (podman update for what
// Debian 12's podman 4.3 can update, the cgroup file for the rest), and whether what the kernel reads back is
// what was asked. Pure: the files' contents come in as values.
import { changedKeys, type LimitKey } from '../limit-keys.js';
import type { LimitChange } from '../profiles.js';
import { cpuMatches, memoryMatches } from '../sampler/limits.js';
import type { SourceLocation } from '../sampler/locate.js';

export type KeyName = LimitKey['name'];

/** The cgroup v2 file of each limit. */
export const LIMIT_FILES: Record<KeyName, string> = {
  memory: 'memory.max',
  'memory-swap': 'memory.swap.max',
  cpus: 'cpu.max',
  'memory-high': 'memory.high',
  'memory-low': 'memory.low',
  'cpu-weight': 'cpu.weight',
};

/** The kernel's value of a file when no limit is set. */
const UNSET: Record<KeyName, string> = { memory: 'max', 'memory-swap': 'max', cpus: 'max', 'memory-high': 'max', 'memory-low': '0', 'cpu-weight': '100' };

/** The container's cgroup v2 directory, or why limits cannot be set there (the run reports it). */
export function controllableDir(location: SourceLocation | null): { dir: string } | { cannot: string } {
  if (location === null) return { cannot: 'the container is not running' };
  if (location.kind === 'cgroup-v2') return { dir: location.dir };
  if (location.kind === 'proc') return { cannot: `the container has no cgroup of its own (${location.reason}): rootless podman cannot set limits here (cgroup v1 or hybrid host, or controllers not delegated)` };
  if (location.kind === 'slurm-step') return { cannot: `the container runs in Slurm step ${location.step.step}, whose cgroup holds its limits (the profile's, as sbatch asked): agentpod does not change them` };
  return { cannot: 'the container is in a cgroup v1 hierarchy: agentpod sets soft limits and changes limits on cgroup v2 only' };
}

/** The value asked for, as events record it: bytes, CPUs or weight; "max" for no limit. */
export function requestedText(value: number | null | undefined): string {
  return value === null || value === undefined ? 'max' : String(value);
}

/**
 * Does the file read back say the limit is as asked? memory.swap.max holds swap only: memory-swap (memory +
 * swap, as podman counts it) is checked against `memoryBytes`, the memory limit it goes with.
 */
export function confirms(key: KeyName, requested: number | null, readBack: string | null, memoryBytes: number | null): boolean | null {
  if (readBack === null) return null;
  if (requested === null) return readBack === UNSET[key] || (key === 'cpus' && readBack.startsWith('max'));
  switch (key) {
    case 'memory':
    case 'memory-high':
    case 'memory-low':
      return memoryMatches(readBack, requested);
    case 'memory-swap':
      return memoryBytes === null ? null : requested === memoryBytes ? readBack === '0' : memoryMatches(readBack, requested - memoryBytes);
    case 'cpus':
      return cpuMatches(readBack, requested);
    case 'cpu-weight':
      return readBack === String(requested);
  }
}

export interface UpdatePlan {
  /** `podman update` options (without the container); empty: nothing for podman. */
  podmanArgs: string[];
  /** Written to the cgroup directory: what podman 4.3's update cannot set. */
  writes: { file: string; value: string }[];
}

/**
 * podman 4.3 updates --memory, --memory-swap, --cpus and --memory-reservation (memory.low), but has no flag for
 * memory.high or cpu.weight, takes no "unlimited" for --memory and leaves cpu.max alone on --cpus 0: those are
 * written to the cgroup files. A new memory without memory-swap gets memory-swap = memory (no swap), as at the
 * start of a run.
 */
export function updatePlan(change: LimitChange): UpdatePlan {
  const podmanArgs: string[] = [];
  const writes: UpdatePlan['writes'] = [];
  const bytes = (n: number) => `${n}b`;
  if (change.memoryBytes !== undefined) {
    if (change.memoryBytes === null) writes.push({ file: LIMIT_FILES.memory, value: 'max' }, { file: LIMIT_FILES['memory-swap'], value: 'max' });
    else {
      const swap = change.memorySwapBytes === undefined ? change.memoryBytes : change.memorySwapBytes;
      podmanArgs.push('--memory', bytes(change.memoryBytes), '--memory-swap', swap === null ? '-1' : bytes(swap));
    }
  } else if (change.memorySwapBytes !== undefined) {
    podmanArgs.push('--memory-swap', change.memorySwapBytes === null ? '-1' : bytes(change.memorySwapBytes));
  }
  if (change.cpus !== undefined) {
    if (change.cpus === null) writes.push({ file: LIMIT_FILES.cpus, value: 'max' });
    else podmanArgs.push('--cpus', String(change.cpus));
  }
  if (change.memoryLowBytes !== undefined) {
    if (change.memoryLowBytes === null) writes.push({ file: LIMIT_FILES['memory-low'], value: '0' });
    else podmanArgs.push('--memory-reservation', bytes(change.memoryLowBytes));
  }
  if (change.memoryHighBytes !== undefined) writes.push({ file: LIMIT_FILES['memory-high'], value: requestedText(change.memoryHighBytes) });
  if (change.cpuWeight !== undefined) writes.push({ file: LIMIT_FILES['cpu-weight'], value: String(change.cpuWeight ?? 100) });
  return { podmanArgs, writes };
}

/** The change as applied: a new memory without memory-swap also sets memory-swap (= memory). */
export function normalizeChange(change: LimitChange): LimitChange {
  return change.memoryBytes !== undefined && change.memoryBytes !== null && change.memorySwapBytes === undefined ? { ...change, memorySwapBytes: change.memoryBytes } : change;
}

export interface KeyReading {
  key: KeyName;
  requested: string;
  file: string | null;
  readBack: string | null;
  confirmed: boolean | null;
  note: string | null;
}

/** One reading per key of the change, from the files read back (file name → first line, or null if unreadable). */
export function readingsOf(change: LimitChange, readBack: (file: string) => string | null, failure: string | null): KeyReading[] {
  const memoryBytes = change.memoryBytes ?? null;
  return changedKeys(change).map((k) => {
    const file = LIMIT_FILES[k.name];
    const value = change[k.field] ?? null;
    const read = readBack(file);
    const confirmed = confirms(k.name, value, read, memoryBytes);
    const note = failure ?? (read === null ? 'not readable after the change: the container exited (the change may have OOM-killed it)' : confirmed === false ? `${file} reads ${read}` : null);
    return { key: k.name, requested: requestedText(value), file, readBack: read, confirmed, note };
  });
}

/** Readings of a change that could not be made at all. */
export function notApplied(change: LimitChange, why: string): KeyReading[] {
  return changedKeys(change).map((k) => ({ key: k.name, requested: requestedText(change[k.field]), file: null, readBack: null, confirmed: false, note: why }));
}
