// SWE-bench / SWE-rebench task records, from a JSON file (one record or an array) or JSONL (one per line).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export interface SwebenchTask {
  instanceId: string;
  /** null when the record has none (the image's /issue.md may supply it). */
  problemStatement: string | null;
  /** image_name, docker_image or (SWE-bench v5) image, as written; null when the record names none. */
  image: string | null;
  repo: string | null;
  baseCommit: string | null;
  version: string | null;
  failToPass: string[];
  passToPass: string[];
  /** SWE-rebench install_config.test_cmd. */
  testCmd: string | null;
  /** SWE-rebench install_config.install: the install step the eval script repeats before the tests. */
  install: string | null;
  /** SWE-rebench install_config.eval_commands: run before the tests (e.g. locale exports). */
  evalCommands: string[];
  /** The grader's parser: SWE-bench v5 log_parser, else SWE-rebench install_config.log_parser. */
  logParser: string | null;
  /** SWE-bench v5 eval_type; pass_and_fail when the record has none. */
  evalType: 'pass_and_fail' | 'fail_only';
  /** SWE-bench v5 eval_script: the whole test step, as the harness runs it. */
  evalScript: string | null;
  /** The tests the grading adds (test_patch) and the reference fix (patch). */
  testPatch: string | null;
  goldPatch: string | null;
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

interface InstallConfig {
  testCmd: string | null;
  install: string | null;
  evalCommands: string[];
  logParser: string | null;
}

/** install_config may be an object or JSON text of one; test_cmd a string or a list of commands. */
function installConfig(raw: Raw, where: string): InstallConfig {
  let config = raw.install_config;
  const none: InstallConfig = { testCmd: null, install: null, evalCommands: [], logParser: null };
  if (config === undefined || config === null) return none;
  if (typeof config === 'string') {
    try {
      config = JSON.parse(config);
    } catch {
      throw new ConfigError(`${where}: "install_config" is a string but not JSON`);
    }
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ConfigError(`${where}: "install_config" must be an object`);
  const c = config as Raw;
  const commands = (key: string, join: string): string | null => {
    const v = c[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(join);
    throw new ConfigError(`${where}: "install_config.${key}" must be a string or a list of strings`);
  };
  const evalCommands = commands('eval_commands', '\n');
  return {
    testCmd: commands('test_cmd', ' && '),
    install: commands('install', ' && '),
    evalCommands: evalCommands === null ? [] : evalCommands.split('\n'),
    logParser: optionalString(c, 'log_parser', `${where} install_config`),
  };
}

function evalType(raw: Raw, where: string): SwebenchTask['evalType'] {
  const v = optionalString(raw, 'eval_type', where) ?? 'pass_and_fail';
  if (v !== 'pass_and_fail' && v !== 'fail_only') throw new ConfigError(`${where}: "eval_type" must be pass_and_fail or fail_only, got ${JSON.stringify(v)}`);
  return v;
}

/** The image named by image_name, docker_image and image (SWE-bench v5); when several are given they must agree. */
function imageOf(raw: Raw, where: string): string | null {
  const named = (['image_name', 'docker_image', 'image'] as const)
    .map((key) => ({ key, value: optionalString(raw, key, where) }))
    .filter((n): n is { key: (typeof n)['key']; value: string } => Boolean(n.value));
  const other = named.find((n) => n.value !== named[0].value);
  if (other) throw new ConfigError(`${where}: "${named[0].key}" (${named[0].value}) and "${other.key}" (${other.value}) disagree`);
  return named[0]?.value ?? null;
}

export function parseTaskRecord(value: unknown, where: string): SwebenchTask {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: expected a task object`);
  const raw = value as Raw;
  const instanceId = optionalString(raw, 'instance_id', where);
  if (!instanceId?.trim()) throw new ConfigError(`${where}: "instance_id" is missing or empty`);
  const install = installConfig(raw, where);
  return {
    instanceId,
    problemStatement: optionalString(raw, 'problem_statement', where),
    image: imageOf(raw, where),
    repo: optionalString(raw, 'repo', where),
    baseCommit: optionalString(raw, 'base_commit', where),
    version: raw.version === undefined || raw.version === null ? null : String(raw.version),
    failToPass: testList(raw, 'FAIL_TO_PASS', where),
    passToPass: testList(raw, 'PASS_TO_PASS', where),
    testCmd: install.testCmd,
    install: install.install,
    evalCommands: install.evalCommands,
    logParser: optionalString(raw, 'log_parser', where) ?? install.logParser,
    evalType: evalType(raw, where),
    evalScript: optionalString(raw, 'eval_script', where),
    testPatch: optionalString(raw, 'test_patch', where),
    goldPatch: optionalString(raw, 'patch', where),
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
