// The limits a run can change while it goes on (`agentpod limits`, a profile's schedule): their names in
// profiles and flags, their LimitChange fields, and how their values read. Light: the commands import it.
import type { LimitChange } from './profiles.js';
import { formatBytes } from './units.js';

export interface LimitKey {
  /** The profile key and flag name. */
  name: 'memory' | 'memory-swap' | 'cpus' | 'memory-high' | 'memory-low' | 'cpu-weight';
  field: keyof LimitChange;
  /** A value for people; null is "unlimited". */
  format(value: number): string;
}

export const LIMIT_KEYS: readonly LimitKey[] = [
  { name: 'memory', field: 'memoryBytes', format: formatBytes },
  { name: 'memory-swap', field: 'memorySwapBytes', format: formatBytes },
  { name: 'cpus', field: 'cpus', format: String },
  { name: 'memory-high', field: 'memoryHighBytes', format: formatBytes },
  { name: 'memory-low', field: 'memoryLowBytes', format: formatBytes },
  { name: 'cpu-weight', field: 'cpuWeight', format: String },
];

/** The keys a change sets, in LIMIT_KEYS order. */
export function changedKeys(change: LimitChange): LimitKey[] {
  return LIMIT_KEYS.filter((k) => k.field in change);
}

/** "memory 2.0 GiB, memory-high unlimited". */
export function describeChange(change: LimitChange): string {
  return changedKeys(change)
    .map((k) => {
      const value = change[k.field];
      return `${k.name} ${value === null || value === undefined ? 'unlimited' : k.format(value)}`;
    })
    .join(', ');
}
