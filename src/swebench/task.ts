// SWE-bench / SWE-rebench task records, from a JSON file (one record or an array) or JSONL (one per line).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export interface SwebenchTask {
  instanceId: string;
  /** null when the record has none (the image's /issue.md may supply it). */
  problemStatement: string | null;
  /** image_name or docker_image, as written; null when the record names none. */
  image: string | null;
  repo: string | null;
  baseCommit: string | null;
  failToPass: string[];
  passToPass: string[];
  /** SWE-rebench install_config.test_cmd. */
  testCmd: string | null;
}

type Raw = Record<string, unknown>;

function optionalString(raw: Raw, key: string, where: string): string | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ConfigError(`${where}: "${key}" must be a string, got ${JSON.stringify(v).slice(0, 60)}`);
  return v;
}

/** SWE-bench exports hold the test lists either as arrays or as JSON text of an array. */
function testList(raw: Raw, key: string, where: string): string[] {
  let v = raw[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new ConfigError(`${where}: "${key}" is a string but not a JSON list`);
    }
  }
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string')) throw new ConfigError(`${where}: "${key}" must be a list of test names`);
  return v;
}

/** install_config may be an object or JSON text of one; test_cmd a string or a list of commands. */
function testCommand(raw: Raw, where: string): string | null {
  let config = raw.install_config;
  if (config === undefined || config === null) return null;
  if (typeof config === 'string') {
    try {
      config = JSON.parse(config);
    } catch {
      throw new ConfigError(`${where}: "install_config" is a string but not JSON`);
    }
  }
  if (typeof config !== 'object' || config === null) throw new ConfigError(`${where}: "install_config" must be an object`);
  const cmd = (config as Raw).test_cmd;
  if (cmd === undefined || cmd === null) return null;
  if (typeof cmd === 'string') return cmd;
  if (Array.isArray(cmd) && cmd.every((c) => typeof c === 'string')) return cmd.join(' && ');
  throw new ConfigError(`${where}: "install_config.test_cmd" must be a string or a list of strings`);
}

export function parseTaskRecord(value: unknown, where: string): SwebenchTask {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: expected a task object`);
  const raw = value as Raw;
  const instanceId = optionalString(raw, 'instance_id', where);
  if (!instanceId?.trim()) throw new ConfigError(`${where}: "instance_id" is missing or empty`);
  const imageName = optionalString(raw, 'image_name', where);
  const dockerImage = optionalString(raw, 'docker_image', where);
  if (imageName && dockerImage && imageName !== dockerImage) {
    throw new ConfigError(`${where}: "image_name" (${imageName}) and "docker_image" (${dockerImage}) disagree`);
  }
  return {
    instanceId,
    problemStatement: optionalString(raw, 'problem_statement', where),
    image: imageName || dockerImage || null,
    repo: optionalString(raw, 'repo', where),
    baseCommit: optionalString(raw, 'base_commit', where),
    failToPass: testList(raw, 'FAIL_TO_PASS', where),
    passToPass: testList(raw, 'PASS_TO_PASS', where),
    testCmd: testCommand(raw, where),
  };
}

/** Records of a JSON document (an object or an array of them) or of JSONL text; `source` names it in errors. */
export function parseTasks(text: string, source: string): SwebenchTask[] {
  let records: { value: unknown; where: string }[];
  let whole: unknown;
  let isJson = true;
  try {
    whole = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (isJson) {
    records = Array.isArray(whole) ? whole.map((value, i) => ({ value, where: `${source} [${i}]` })) : [{ value: whole, where: source }];
  } else {
    records = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${source}:${i + 1}`;
      try {
        records.push({ value: JSON.parse(line), where });
      } catch (e) {
        throw new ConfigError(`${where}: not JSON (the file is neither one JSON document nor JSONL): ${(e as Error).message}`);
      }
    });
  }
  if (records.length === 0) throw new ConfigError(`${source}: no task records`);
  const tasks = records.map((r) => parseTaskRecord(r.value, r.where));
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.instanceId)) throw new ConfigError(`${source}: instance_id ${t.instanceId} appears twice`);
    seen.add(t.instanceId);
  }
  return tasks;
}

export function readTasksFile(file: string): { tasks: SwebenchTask[]; text: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`--task ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { tasks: parseTasks(text, file), text };
}

/** The record named by --instance; without it, the only record of the file. */
export function pickTask(tasks: SwebenchTask[], instanceId: string | undefined, source: string): SwebenchTask {
  if (instanceId === undefined) {
    if (tasks.length === 1) return tasks[0];
    const some = tasks.slice(0, 3).map((t) => t.instanceId).join(', ');
    throw new ConfigError(`${source} holds ${tasks.length} tasks (${some}, ...): name one with --instance ID`);
  }
  const task = tasks.find((t) => t.instanceId === instanceId);
  if (!task) throw new ConfigError(`${source}: no task with instance_id ${instanceId}`);
  return task;
}

/** The problem statement: the image's /issue.md when it has one, else the task record's; never empty. */
export function chooseProblemStatement(issueFile: string | null, task: SwebenchTask | null, image: string): { text: string; from: string } {
  if (issueFile !== null && issueFile.trim() !== '') return { text: issueFile, from: `${image}:/issue.md` };
  if (task?.problemStatement && task.problemStatement.trim() !== '') return { text: task.problemStatement, from: `task record ${task.instanceId}` };
  const tried = [issueFile === null ? `${image} has no /issue.md` : `${image}:/issue.md is empty`];
  if (task) tried.push(`task ${task.instanceId} has ${task.problemStatement === null ? 'no' : 'an empty'} problem_statement`);
  else tried.push('no --task record was given');
  throw new ConfigError(`empty problem statement: ${tried.join(', and ')}`);
}
