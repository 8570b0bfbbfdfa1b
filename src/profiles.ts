// Resource profiles: YAML files naming memory, swap, CPU, pids and time limits for a run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from './errors.js';
import { packageRoot } from './package-root.js';
import { parseBytes, parseDuration } from './units.js';

/** Limits of a run. null means "no limit". */
export interface Limits {
  memoryBytes: number | null;
  /** memory + swap, as podman's --memory-swap; equal to memoryBytes unless a profile allows swap. */
  memorySwapBytes: number | null;
  cpus: number | null;
  pidsLimit: number | null;
  timeoutMs: number | null;
}

export interface Profile extends Limits {
  name: string;
  description: string;
  model: string | null;
  /** The file it came from. */
  source: string;
}

const KEYS = ['description', 'memory', 'memory-swap', 'cpus', 'pids-limit', 'timeout', 'model'] as const;

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

/** Validates a parsed profile document. Pure: the file name is only used in messages. */
export function parseProfile(doc: unknown, file: string, name = basename(file).replace(/\.ya?ml$/, '')): Profile {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`profile ${file}: expected a mapping of ${KEYS.join(', ')}`);
  }
  const raw = doc as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`profile ${file}: unknown key "${key}" (expected one of ${KEYS.join(', ')})`);
  }
  const size = (key: string): number | null => {
    const v = raw[key];
    if (isUnlimited(v)) return null;
    const bytes = typeof v === 'string' || typeof v === 'number' ? parseBytes(v) : undefined;
    return bytes ?? bad(file, key, 'a size such as 512m, 2g or "unlimited"', v);
  };
  const memoryBytes = 'memory' in raw ? size('memory') : null;
  const memorySwapBytes = 'memory-swap' in raw ? size('memory-swap') : memoryBytes;
  if (memoryBytes !== null && memorySwapBytes !== null && memorySwapBytes < memoryBytes) {
    bad(file, 'memory-swap', `at least memory (${raw.memory}): it is memory plus swap`, raw['memory-swap']);
  }
  const cpus = raw.cpus;
  if (!('cpus' in raw) || isUnlimited(cpus)) {
    /* no limit */
  } else if (typeof cpus !== 'number' || !(cpus > 0)) bad(file, 'cpus', 'a positive number of CPUs (e.g. 1, 0.5) or "unlimited"', cpus);
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
    cpus: typeof cpus === 'number' ? cpus : null,
    pidsLimit: typeof pids === 'number' ? pids : null,
    timeoutMs,
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
}

export function applyOverrides(profile: Profile, o: LimitOverrides): Profile {
  const numberOrText = (v: string | number) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
  const doc: Record<string, unknown> = {};
  if (o.memory !== undefined) doc.memory = o.memory;
  if (o.memorySwap !== undefined) doc['memory-swap'] = o.memorySwap;
  if (o.cpus !== undefined) doc.cpus = numberOrText(o.cpus);
  if (o.pidsLimit !== undefined) doc['pids-limit'] = numberOrText(o.pidsLimit);
  if (o.timeout !== undefined) doc.timeout = o.timeout;
  if (Object.keys(doc).length === 0) return profile;
  // Validate the flags with the profile rules; "command line" names where they came from.
  const given = parseProfile(doc, 'command line', profile.name);
  const memoryBytes = 'memory' in doc ? given.memoryBytes : profile.memoryBytes;
  return {
    ...profile,
    memoryBytes,
    // A new --memory without --memory-swap keeps swap off (swap = memory), as in profiles.
    memorySwapBytes: 'memory-swap' in doc ? given.memorySwapBytes : 'memory' in doc ? memoryBytes : profile.memorySwapBytes,
    cpus: 'cpus' in doc ? given.cpus : profile.cpus,
    pidsLimit: 'pids-limit' in doc ? given.pidsLimit : profile.pidsLimit,
    timeoutMs: 'timeout' in doc ? given.timeoutMs : profile.timeoutMs,
  };
}
