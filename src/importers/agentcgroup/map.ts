// The pure mapper: one published attempt (its loaded files and what its ingested trace says) → the rows
// agentpod stores for it. No I/O; every choice is in docs/characterization.md ("Importing").
import { createHash } from 'node:crypto';
import { instanceFromImage, isInstanceId, isoMs, localToUtcMs, parseMemUsage, parsePercent, PODMAN_STATS_SOURCE, utcOffsetMinutes } from './formats.js';
import type { Loaded, RawSample, ResourcesFile, ResultsFile, ToolCallsFile } from './load.js';

export const ORIGIN = 'agentcgroup';
/** The study's collector slept 1.0 s after each `podman stats --no-stream` call. */
export const STUDY_SAMPLE_INTERVAL_MS = 1000;

/** What the attempt's ingested trace says (null: no trace, or nothing usable in it). */
export interface TraceFacts {
  sessionId: string;
  /** The main conversation's most used model (subagents' and synthetic responses left out). */
  model: string | null;
  /** The first prompt as Claude Code received it. */
  prompt: string | null;
}

export interface AttemptInput {
  dataSet: string;
  batchId: string;
  taskDir: string;
  attempt: number;
  attemptDir: string;
  results: Loaded<ResultsFile>;
  resources: Loaded<ResourcesFile>;
  toolCalls: Loaded<ToolCallsFile>;
  trace: TraceFacts | null;
  /** The data set's clock offset from its other attempts' samples, for attempts that have none. */
  setUtcOffsetMin: number | null;
  importedAt: number;
}

export type SampleFlag = 'startup' | 'gone';

export interface SampleRow {
  tMs: number;
  memoryBytes: number;
  cpuPercent: number | null;
  flag: SampleFlag | null;
}

export interface ToolWindowRow {
  seq: number;
  toolUseId: string | null;
  toolName: string | null;
  input: string | null;
  command: string | null;
  startMs: number | null;
  endMs: number | null;
}

export type RunRow = Record<string, string | number | null>;

export interface MappedAttempt {
  runId: string;
  run: RunRow;
  imported: RunRow;
  samples: SampleRow[];
  toolWindows: ToolWindowRow[];
  /** Whatever the files lacked or held that could not be used, for the closing line. */
  problems: string[];
}

export const importedRunId = (batchId: string, taskDir: string, attempt: number) => `${batchId}:${taskDir}:${attempt}`;

/** The clock offset of this attempt: from its own first sample with both times, else the data set's. */
export function attemptUtcOffset(samples: RawSample[], setOffset: number | null): number | null {
  for (const s of samples) {
    const offset = utcOffsetMinutes(s.timestamp, s.epoch);
    if (offset !== null) return offset;
  }
  return setOffset;
}

/** The samples as stored: times from `epoch`, decimal bytes; the first reading and every "0B / 0B" flagged. */
export function mapSamples(raw: RawSample[]): { samples: SampleRow[]; problems: string[] } {
  const samples: SampleRow[] = [];
  const problems: string[] = [];
  const seen = new Set<number>();
  raw.forEach((s, i) => {
    const mem = parseMemUsage(s.mem_usage);
    const tMs = typeof s.epoch === 'number' && Number.isFinite(s.epoch) ? Math.round(s.epoch * 1000) : null;
    if (tMs === null || mem === null) {
      problems.push(`sample ${i + 1}: ${tMs === null ? `epoch ${JSON.stringify(s.epoch)}` : `mem_usage ${JSON.stringify(s.mem_usage)}`} unusable`);
      return;
    }
    if (seen.has(tMs)) {
      problems.push(`sample ${i + 1}: a second reading at epoch ${s.epoch}`);
      return;
    }
    seen.add(tMs);
    const gone = mem.usedBytes === 0 && mem.limitBytes === 0;
    samples.push({ tMs, memoryBytes: mem.usedBytes, cpuPercent: parsePercent(s.cpu_percent), flag: gone ? 'gone' : samples.length === 0 ? 'startup' : null });
  });
  return { samples, problems };
}

/** tool_calls.json entries as windows (ISO times with a zone; the old format has no end). */
export function mapToolWindows(file: ToolCallsFile): ToolWindowRow[] {
  return file.calls.map((c, i) => {
    const input = c.input === undefined ? null : JSON.stringify(c.input);
    const command = typeof c.input === 'object' && c.input !== null && typeof (c.input as { command?: unknown }).command === 'string' ? (c.input as { command: string }).command : null;
    return {
      seq: i + 1,
      toolUseId: typeof c.id === 'string' ? c.id : null,
      toolName: typeof c.tool === 'string' ? c.tool : null,
      input,
      command: c.tool === 'Bash' ? command : null,
      startMs: isoMs(c.timestamp),
      endMs: isoMs(c.end_timestamp),
    };
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const seconds = (s: number | null) => (s === null ? null : Math.round(s * 1000));

/** The instance: the task folder when it is named like one, else from the image (batch18's folders are labels). */
export function instanceOf(taskDir: string, image: string | null): string {
  return isInstanceId(taskDir) ? taskDir : (instanceFromImage(image) ?? taskDir);
}

/** One attempt's rows; null (with the reason) when results.json cannot give a run at all. */
export function mapAttempt(a: AttemptInput): MappedAttempt | { skipped: string } {
  if (a.results.status !== 'ok') return { skipped: `results.json ${a.results.status === 'missing' ? 'missing' : `malformed: ${a.results.reason}`}` };
  const r = a.results.value;
  const problems = [...a.results.problems];
  // The study ran without limits; a limit here would be one agentpod does not know was enforced.
  if (r.memoryLimit !== null || r.cpuLimit !== null) problems.push(`results.json: limits ${JSON.stringify({ memory: r.memoryLimit, cpu: r.cpuLimit })} not imported`);
  const rawSamples = a.resources.status === 'ok' ? a.resources.value.samples : [];
  if (a.resources.status === 'ok') problems.push(...a.resources.problems.map((p) => `resources.json: ${p}`));
  const offset = attemptUtcOffset(rawSamples, a.setUtcOffsetMin);
  const startedAt = offset === null ? null : localToUtcMs(r.startTime, offset);
  if (startedAt === null) return { skipped: offset === null ? 'no sample and no other attempt of the set tells the clock\'s time zone' : `results.json start_time ${JSON.stringify(r.startTime)} unusable` };
  const finishedAt = offset === null ? null : localToUtcMs(r.endTime, offset);

  const { samples, problems: sampleProblems } = mapSamples(rawSamples);
  problems.push(...sampleProblems.map((p) => `resources.json: ${p}`));

  const runId = importedRunId(a.batchId, a.taskDir, a.attempt);
  const failedStart = r.error !== null;
  const useToolCalls = a.trace === null && a.toolCalls.status === 'ok';
  const toolWindows = useToolCalls && a.toolCalls.status === 'ok' ? mapToolWindows(a.toolCalls.value) : [];
  const measured = samples.filter((s) => s.flag !== 'gone');
  const peak = measured.length ? Math.max(...measured.map((s) => s.memoryBytes)) : null;

  const run: RunRow = {
    id: runId,
    status: failedStart ? 'failed' : r.exitCode === 0 ? 'ok' : 'failed',
    exit_code: r.exitCode,
    started_at: startedAt,
    finished_at: finishedAt,
    duration_ms: seconds(r.claudeTimeS),
    image: r.image ?? '',
    profile: 'unlimited',
    model: a.trace?.model ?? null,
    workdir: '/testbed',
    share_mode: 'host',
    session_id: a.trace?.sessionId ?? `imported:${runId}`,
    container_name: '',
    run_dir: a.attemptDir,
    prompt_bytes: a.trace?.prompt ? Buffer.byteLength(a.trace.prompt) : 0,
    prompt_sha256: a.trace?.prompt ? sha256(a.trace.prompt) : '',
    owner_pid: 0,
    owner_host: '',
    error: r.error,
    batch_id: a.batchId,
    instance_id: instanceOf(a.taskDir, r.image),
    trial_index: a.attempt,
    source_image: r.image,
    origin: ORIGIN,
    sample_source: samples.length ? PODMAN_STATS_SOURCE : null,
    sample_count: samples.length,
    sample_interval_ms: samples.length ? STUDY_SAMPLE_INTERVAL_MS : null,
    peak_memory_bytes: peak,
  };
  const imported: RunRow = {
    run_id: runId,
    origin: ORIGIN,
    data_set: a.dataSet,
    task_dir: a.taskDir,
    attempt: a.attempt,
    model_label: r.modelLabel,
    utc_offset_min: offset,
    start_time_local: r.startTime,
    end_time_local: r.endTime,
    pull_time_s: r.pullTimeS,
    permission_fix_time_s: r.permissionFixTimeS,
    claude_time_s: r.claudeTimeS,
    total_time_s: r.totalTimeS,
    image_size_bytes: r.imageSizeBytes,
    testbed_mb: r.testbedMb,
    tool_windows: a.trace ? 'trace' : toolWindows.length ? 'tool_calls.json' : 'none',
    summary_json: a.resources.status === 'ok' && a.resources.value.summary !== null ? JSON.stringify(a.resources.value.summary) : null,
    self_check: null,
    imported_at: a.importedAt,
  };
  return { runId, run, imported, samples, toolWindows, problems };
}
