// Loaders for the published files, one per kind: each reads one file and says what it holds, that it is
// missing, or why it is malformed — never throws for a bad file. Also finds the attempt folders of a data set.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type Loaded<T> = { status: 'ok'; value: T; problems: string[] } | { status: 'missing' } | { status: 'malformed'; reason: string };

export interface ResultsFile {
  image: string | null;
  startTime: string | null;
  endTime: string | null;
  modelLabel: string | null;
  memoryLimit: unknown;
  cpuLimit: unknown;
  pullTimeS: number | null;
  permissionFixTimeS: number | null;
  claudeTimeS: number | null;
  totalTimeS: number | null;
  imageSizeBytes: number | null;
  testbedMb: number | null;
  exitCode: number | null;
  /** A failed start: the container never ran. */
  error: string | null;
}

export interface RawSample {
  timestamp: unknown;
  epoch: unknown;
  mem_usage: unknown;
  cpu_percent: unknown;
}

export interface ResourcesFile {
  samples: RawSample[];
  /** The published summary, as found (checked against the imported samples). */
  summary: unknown;
}

/** One tool call: the new format has end_timestamp, input and result_preview; the old one only {timestamp, tool, id}. */
export interface ToolCallEntry {
  timestamp: unknown;
  tool: unknown;
  id: unknown;
  input?: unknown;
  end_timestamp?: unknown;
}

export interface ToolCallsFile {
  format: 'windows' | 'starts-only';
  calls: ToolCallEntry[];
}

export interface AttemptDir {
  taskDir: string;
  attempt: number;
  path: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

function readJson(path: string): Loaded<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { status: 'missing' } : { status: 'malformed', reason: `unreadable (${code ?? (e as Error).message})` };
  }
  try {
    return { status: 'ok', value: JSON.parse(text), problems: [] };
  } catch (e) {
    return { status: 'malformed', reason: `invalid JSON (${(e as Error).message})` };
  }
}

export function loadResults(path: string): Loaded<ResultsFile> {
  const read = readJson(path);
  if (read.status !== 'ok') return read;
  const r = read.value;
  if (!isObject(r)) return { status: 'malformed', reason: 'not a JSON object' };
  const output = isObject(r.claude_output) ? r.claude_output : {};
  const imageInfo = isObject(r.image_info) ? r.image_info : {};
  const disk = isObject(r.disk_usage) ? r.disk_usage : {};
  return {
    status: 'ok',
    problems: [],
    value: {
      image: str(r.image),
      startTime: str(r.start_time),
      endTime: str(r.end_time),
      modelLabel: str(r.model),
      memoryLimit: r.memory_limit ?? null,
      cpuLimit: r.cpu_limit ?? null,
      pullTimeS: num(r.pull_time),
      permissionFixTimeS: num(r.permission_fix_time),
      claudeTimeS: num(r.claude_time),
      totalTimeS: num(r.total_time),
      imageSizeBytes: num(imageInfo.size_bytes),
      testbedMb: num(disk.testbed_mb),
      exitCode: num(output.exit_code),
      error: r.error === undefined || r.error === null ? null : String(r.error),
    },
  };
}

export function loadResources(path: string): Loaded<ResourcesFile> {
  const read = readJson(path);
  if (read.status !== 'ok') return read;
  const r = read.value;
  if (!isObject(r) || !Array.isArray(r.samples)) return { status: 'malformed', reason: 'no "samples" array' };
  const samples = r.samples.filter(isObject) as unknown as RawSample[];
  const problems = samples.length < r.samples.length ? [`${r.samples.length - samples.length} sample(s) not an object`] : [];
  return { status: 'ok', value: { samples, summary: r.summary ?? null }, problems };
}

export function loadToolCalls(path: string): Loaded<ToolCallsFile> {
  const read = readJson(path);
  if (read.status !== 'ok') return read;
  if (!Array.isArray(read.value)) return { status: 'malformed', reason: 'not a JSON array' };
  const calls = read.value.filter(isObject) as unknown as ToolCallEntry[];
  const problems = calls.length < read.value.length ? [`${read.value.length - calls.length} entr(ies) not an object`] : [];
  const format = calls.some((c) => 'end_timestamp' in c) ? 'windows' : 'starts-only';
  return { status: 'ok', value: { format, calls }, problems };
}

const ATTEMPT = /^attempt_(\d+)$/;

const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

const readable = (path: string): string[] | string => {
  try {
    return readdirSync(path);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
};

/**
 * `<set>/<task>/attempt_<n>/` folders, by task name and then attempt number (numerically); `unreadable` names the
 * task folders that could not be listed. Throws only when the data set folder itself cannot be.
 */
export function findAttempts(setDir: string): { attempts: AttemptDir[]; unreadable: string[] } {
  const tasks = readable(setDir);
  if (typeof tasks === 'string') throw new Error(`cannot read ${setDir}: ${tasks}`);
  const attempts: AttemptDir[] = [];
  const unreadable: string[] = [];
  for (const task of tasks.sort()) {
    const taskPath = join(setDir, task);
    if (!isDir(taskPath)) continue;
    const names = readable(taskPath);
    if (typeof names === 'string') {
      unreadable.push(`${task}: ${names}`);
      continue;
    }
    for (const name of names) {
      const m = ATTEMPT.exec(name);
      if (m && isDir(join(taskPath, name))) attempts.push({ taskDir: task, attempt: Number(m[1]), path: join(taskPath, name) });
    }
  }
  attempts.sort((a, b) => (a.taskDir < b.taskDir ? -1 : a.taskDir > b.taskDir ? 1 : a.attempt - b.attempt));
  return { attempts, unreadable };
}
