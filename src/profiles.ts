// Resource profiles: YAML files naming memory, swap, CPU, pids and time limits for a run, soft limits
// (memory-high, memory-low, cpu-weight) and a schedule of limit changes during the run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from './errors.js';
import { packageRoot } from './package-root.js';
import { formatBytes, parseBytes, parseDuration } from './units.js';

/** Limits of a run. null means "no limit". */
export interface Limits {
  memoryBytes: number | null;
  /** memory + swap, as podman's --memory-swap; equal to memoryBytes unless a profile allows swap. */
  memorySwapBytes: number | null;
  cpus: number | null;
  pidsLimit: number | null;
  timeoutMs: number | null;
}

/** Soft limits (cgroup v2): the kernel throttles or protects instead of killing. null: not set. */
export interface SoftLimits {
  /** memory.high: above it the container is reclaimed and throttled, not OOM-killed. */
  memoryHighBytes: number | null;
  /** memory.low (podman --memory-reservation): memory reclaimed from this container only after others. */
  memoryLowBytes: number | null;
  /** cpu.weight, 1–10000 (the kernel's default is 100): its share of contended CPUs. */
  cpuWeight: number | null;
}

/** Limits changed during a run: only the keys given change; null removes the limit. */
export type LimitChange = Partial<Pick<Limits, 'memoryBytes' | 'memorySwapBytes' | 'cpus'> & SoftLimits>;

/** A change agentpod applies itself, `afterMs` after the container started. */
export interface ScheduledChange {
  afterMs: number;
  change: LimitChange;
}

export interface Profile extends Limits, Partial<SoftLimits> {
  name: string;
  description: string;
  model: string | null;
  /** The file it came from. */
  source: string;
  /** Changes of limits during the run, in time order (empty or absent: none). */
  schedule?: ScheduledChange[];
}

/** The profile keys that are limits a run can change (`agentpod limits`, schedule steps). */
const CHANGEABLE_KEYS = ['memory', 'memory-swap', 'cpus', 'memory-high', 'memory-low', 'memory-reservation', 'cpu-weight'] as const;
const KEYS = ['description', 'memory', 'memory-swap', 'cpus', 'pids-limit', 'timeout', 'model', 'memory-high', 'memory-low', 'memory-reservation', 'cpu-weight', 'schedule'] as const;

export function profileDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const configHome = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return [env.AGENTPOD_PROFILES_DIR, join(configHome, 'agentpod', 'profiles'), join(packageRoot, 'profiles')].filter(
    (d): d is string => Boolean(d),
  );
}

const isUnlimited = (v: unknown) => v === 'unlimited' || v === 'none' || v === null;

function bad(file: string, key: string, expected: string, got: unknown): never {
  throw new ConfigError(`profile ${file}: key "${key}" must be ${expected}, got ${JSON.stringify(got)}`);
}

type Doc = Record<string, unknown>;

function sizeOf(raw: Doc, file: string, key: string, where = ''): number | null {
  const v = raw[key];
  if (isUnlimited(v)) return null;
  const bytes = typeof v === 'string' || typeof v === 'number' ? parseBytes(v) : undefined;
  return bytes ?? bad(file, `${where}${key}`, 'a size such as 512m, 2g or "unlimited"', v);
}

function cpusOf(raw: Doc, file: string, where = ''): number | null {
  const cpus = raw.cpus;
  if (isUnlimited(cpus)) return null;
  if (typeof cpus !== 'number' || !(cpus > 0)) bad(file, `${where}cpus`, 'a positive number of CPUs (e.g. 1, 0.5) or "unlimited"', cpus);
  return cpus;
}

function cpuWeightOf(raw: Doc, file: string, where = ''): number | null {
  const w = raw['cpu-weight'];
  if (isUnlimited(w)) return null;
  if (!(typeof w === 'number' && Number.isInteger(w) && w >= 1 && w <= 10000)) bad(file, `${where}cpu-weight`, 'a whole number from 1 to 10000 (the kernel default is 100)', w);
  return w;
}

/** The limit keys present in `raw` (memory-reservation is memory-low's other name), validated. */
function limitChangeOf(raw: Doc, file: string, where = ''): LimitChange {
  if ('memory-low' in raw && 'memory-reservation' in raw) bad(file, `${where}memory-reservation`, 'left out: it is another name of memory-low, which is set', raw['memory-reservation']);
  const change: LimitChange = {};
  if ('memory' in raw) change.memoryBytes = sizeOf(raw, file, 'memory', where);
  if ('memory-swap' in raw) change.memorySwapBytes = sizeOf(raw, file, 'memory-swap', where);
  if ('cpus' in raw) change.cpus = cpusOf(raw, file, where);
  if ('memory-high' in raw) change.memoryHighBytes = sizeOf(raw, file, 'memory-high', where);
  for (const key of ['memory-low', 'memory-reservation']) if (key in raw) change.memoryLowBytes = sizeOf(raw, file, key, where);
  if ('cpu-weight' in raw) change.cpuWeight = cpuWeightOf(raw, file, where);
  return change;
}

/** Limits given as flags (profile key → value), validated with the profile rules: what `agentpod limits` changes. */
export function parseLimitFlags(flags: Record<string, string | undefined>): LimitChange {
  const doc: Doc = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    doc[key] = (key === 'cpus' || key === 'cpu-weight') && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  const change = limitChangeOf(doc, 'command line');
  const memory = change.memoryBytes ?? null;
  if (memory !== null && change.memorySwapBytes != null && change.memorySwapBytes < memory) bad('command line', 'memory-swap', 'at least memory: it is memory plus swap', doc['memory-swap']);
  checkBelowMemory('command line', memory, softLimitsOf(change), doc);
  return change;
}

/** Soft limits above the hard one cannot act (memory-high) or mean nothing (memory-low). */
function checkBelowMemory(file: string, memory: number | null, soft: SoftLimits, raw: Doc, where = ''): void {
  if (memory === null) return;
  if (soft.memoryHighBytes !== null && soft.memoryHighBytes > memory) bad(file, `${where}memory-high`, `at most memory (${formatBytes(memory)}): above it the hard limit acts first`, raw['memory-high']);
  const lowKey = 'memory-low' in raw ? 'memory-low' : 'memory-reservation';
  if (soft.memoryLowBytes !== null && soft.memoryLowBytes > memory) bad(file, `${where}${lowKey}`, `at most memory (${formatBytes(memory)})`, raw[lowKey]);
}

function scheduleOf(value: unknown, file: string, timeoutMs: number | null): ScheduledChange[] {
  if (!Array.isArray(value)) bad(file, 'schedule', 'a list of steps such as [{after: 5m, memory: 2g}]', value);
  const steps = (value as unknown[]).map((step, i) => {
    const where = `schedule[${i}].`;
    if (typeof step !== 'object' || step === null || Array.isArray(step)) bad(file, `schedule[${i}]`, `a mapping of after and limits (${CHANGEABLE_KEYS.join(', ')})`, step);
    const raw = step as Doc;
    for (const key of Object.keys(raw)) {
      if (key !== 'after' && !(CHANGEABLE_KEYS as readonly string[]).includes(key)) throw new ConfigError(`profile ${file}: unknown key "${where}${key}" (expected after, ${CHANGEABLE_KEYS.join(', ')})`);
    }
    const after = raw.after;
    const afterMs = typeof after === 'string' || typeof after === 'number' ? parseDuration(after) : undefined;
    if (afterMs === undefined) bad(file, `${where}after`, 'a duration such as 5m or 90s', after);
    if (timeoutMs !== null && afterMs >= timeoutMs) bad(file, `${where}after`, `less than the timeout (${raw.after} >= ${timeoutMs / 1000} s)`, after);
    const change = limitChangeOf(raw, file, where);
    if (Object.keys(change).length === 0) bad(file, `schedule[${i}]`, `at least one limit to change (${CHANGEABLE_KEYS.join(', ')})`, step);
    return { afterMs, change };
  });
  return steps.sort((a, b) => a.afterMs - b.afterMs);
}

/** Validates a parsed profile document. Pure: the file name is only used in messages. */
export function parseProfile(doc: unknown, file: string, name = basename(file).replace(/\.ya?ml$/, '')): Profile {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`profile ${file}: expected a mapping of ${KEYS.join(', ')}`);
  }
  const raw = doc as Doc;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`profile ${file}: unknown key "${key}" (expected one of ${KEYS.join(', ')})`);
  }
  const limits = limitChangeOf(raw, file);
  const memoryBytes = limits.memoryBytes ?? null;
  const memorySwapBytes = 'memorySwapBytes' in limits ? limits.memorySwapBytes! : memoryBytes;
  if (memoryBytes !== null && memorySwapBytes !== null && memorySwapBytes < memoryBytes) {
    bad(file, 'memory-swap', `at least memory (${raw.memory}): it is memory plus swap`, raw['memory-swap']);
  }
  const soft: SoftLimits = { memoryHighBytes: limits.memoryHighBytes ?? null, memoryLowBytes: limits.memoryLowBytes ?? null, cpuWeight: limits.cpuWeight ?? null };
  checkBelowMemory(file, memoryBytes, soft, raw);
  const pids = raw['pids-limit'];
  if ('pids-limit' in raw && !isUnlimited(pids) && !(typeof pids === 'number' && Number.isInteger(pids) && pids > 0)) {
    bad(file, 'pids-limit', 'a positive integer or "unlimited"', pids);
  }
  const timeout = raw.timeout;
  let timeoutMs: number | null = null;
  if ('timeout' in raw && !isUnlimited(timeout)) {
    timeoutMs = (typeof timeout === 'string' || typeof timeout === 'number' ? parseDuration(timeout) : undefined) ?? bad(file, 'timeout', 'a duration such as 30m, 90s or 1h', timeout);
  }
  const model = raw.model;
  if ('model' in raw && model !== null && typeof model !== 'string') bad(file, 'model', 'a model name', model);
  const description = raw.description;
  if ('description' in raw && typeof description !== 'string') bad(file, 'description', 'text', description);
  return {
    name,
    description: (description as string | undefined) ?? '',
    memoryBytes,
    memorySwapBytes,
    cpus: limits.cpus ?? null,
    pidsLimit: typeof pids === 'number' ? pids : null,
    timeoutMs,
    ...soft,
    schedule: 'schedule' in raw && raw.schedule !== null ? scheduleOf(raw.schedule, file, timeoutMs) : [],
    model: (model as string | null | undefined) ?? null,
    source: file,
  };
}

export function loadProfileFile(file: string, name?: string): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`profile ${file}: cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`profile ${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseProfile(doc ?? {}, file, name);
}

/** A profile by name (first match in profileDirs()) or by path to a .yaml file. */
export function loadProfile(nameOrPath: string, dirs = profileDirs()): Profile {
  if (nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)) return loadProfileFile(nameOrPath);
  if (!/^[\w.-]+$/.test(nameOrPath)) throw new ConfigError(`profile name "${nameOrPath}" may only hold letters, digits, '.', '_' and '-'`);
  for (const dir of dirs) {
    for (const ext of ['.yaml', '.yml']) {
      const file = join(dir, nameOrPath + ext);
      if (existsSync(file)) return loadProfileFile(file, nameOrPath);
    }
  }
  const known = listProfileFiles(dirs).map((p) => p.name);
  throw new ConfigError(`no profile "${nameOrPath}" (known: ${known.join(', ') || 'none'}; searched ${dirs.join(', ')})`);
}

/** Every profile file, earlier dirs shadowing later ones by name. */
export function listProfileFiles(dirs = profileDirs()): { name: string; file: string }[] {
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(entry);
      if (m && !seen.has(m[1])) seen.set(m[1], join(dir, entry));
    }
  }
  return [...seen].map(([name, file]) => ({ name, file }));
}

/** Flag values given on the command line; each replaces the profile's value when set. */
export interface LimitOverrides {
  memory?: string;
  memorySwap?: string;
  cpus?: string | number;
  pidsLimit?: string | number;
  timeout?: string;
  memoryHigh?: string;
  memoryLow?: string;
  cpuWeight?: string | number;
}

export function applyOverrides(profile: Profile, o: LimitOverrides): Profile {
  const numberOrText = (v: string | number) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
  const doc: Record<string, unknown> = {};
  if (o.memory !== undefined) doc.memory = o.memory;
  if (o.memorySwap !== undefined) doc['memory-swap'] = o.memorySwap;
  if (o.cpus !== undefined) doc.cpus = numberOrText(o.cpus);
  if (o.pidsLimit !== undefined) doc['pids-limit'] = numberOrText(o.pidsLimit);
  if (o.timeout !== undefined) doc.timeout = o.timeout;
  if (o.memoryHigh !== undefined) doc['memory-high'] = o.memoryHigh;
  if (o.memoryLow !== undefined) doc['memory-low'] = o.memoryLow;
  if (o.cpuWeight !== undefined) doc['cpu-weight'] = numberOrText(o.cpuWeight);
  if (Object.keys(doc).length === 0) return profile;
  // Validate the flags with the profile rules; "command line" names where they came from.
  const given = parseProfile(doc, 'command line', profile.name);
  const memoryBytes = 'memory' in doc ? given.memoryBytes : profile.memoryBytes;
  const merged: Profile = {
    ...profile,
    memoryBytes,
    // A new --memory without --memory-swap keeps swap off (swap = memory), as in profiles.
    memorySwapBytes: 'memory-swap' in doc ? given.memorySwapBytes : 'memory' in doc ? memoryBytes : profile.memorySwapBytes,
    cpus: 'cpus' in doc ? given.cpus : profile.cpus,
    pidsLimit: 'pids-limit' in doc ? given.pidsLimit : profile.pidsLimit,
    timeoutMs: 'timeout' in doc ? given.timeoutMs : profile.timeoutMs,
    memoryHighBytes: 'memory-high' in doc ? given.memoryHighBytes : (profile.memoryHighBytes ?? null),
    memoryLowBytes: 'memory-low' in doc ? given.memoryLowBytes : (profile.memoryLowBytes ?? null),
    cpuWeight: 'cpu-weight' in doc ? given.cpuWeight : (profile.cpuWeight ?? null),
  };
  checkBelowMemory('command line', merged.memoryBytes, softLimitsOf(merged), { 'memory-high': o.memoryHigh ?? formatBytes(merged.memoryHighBytes), 'memory-low': o.memoryLow ?? formatBytes(merged.memoryLowBytes) });
  return merged;
}

/** The profile's soft limits, null where not set. */
export function softLimitsOf(p: Partial<SoftLimits>): SoftLimits {
  return { memoryHighBytes: p.memoryHighBytes ?? null, memoryLowBytes: p.memoryLowBytes ?? null, cpuWeight: p.cpuWeight ?? null };
}
