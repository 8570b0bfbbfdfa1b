// The eval script of one instance, as the SWE-bench harness runs it: a SWE-bench v5 record's own eval_script
// (header stripped and restored, the test command's exit code recorded, as v5's parse_eval_script and
// record_test_exit_code do), or, for records without one (SWE-rebench's install_config, or --test-cmd), the
// script the harness's make_eval_script_list_py builds. Pure: the record and overrides in, the text out.
import { ConfigError } from '../errors.js';
import type { SwebenchTask } from '../swebench/task.js';
import { END_TEST_OUTPUT, recordTestExitCode, START_TEST_OUTPUT } from './markers.js';

const HEADER = ['#!/bin/bash', 'set -uxo pipefail'];
const HEREDOC_DELIMITER = 'EOF_114329324912';
const ENV_NAME = 'testbed';
const REPO_DIRECTORY = '/testbed';
/** The harness's NON_TEST_EXTS, "csv" without its dot included. */
const NON_TEST_EXTS = ['.json', '.png', 'csv', '.txt', '.md', '.jpg', '.jpeg', '.pkl', '.yml', '.yaml', '.toml'];
/** SWE-rebench's fork prefixes the install and test commands with this (utils.py _clean_install_config). */
const FORK_LOCALE = 'LANG=C.UTF-8 LC_ALL=C.UTF-8 ';

export interface PatchFiles {
  /** Files that exist before the patch (their `---` side is a/…): reset with git checkout. Deleted ones too. */
  modified: string[];
  /** Files the patch creates (`--- /dev/null`): removed with rm -f. */
  created: string[];
  /** Files the patch deletes (`+++ /dev/null`). */
  deleted: string[];
  /** The b/ path of every `diff --git` header, in order (what the harness takes test directives from). */
  headers: string[];
}

/** The files of a unified git diff, as the harness's get_modified_files / get_new_files read them. */
export function patchFiles(patch: string): PatchFiles {
  const files: PatchFiles = { modified: [], created: [], deleted: [], headers: [] };
  const lines = patch.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^diff --git a\/(.*) b\/(.*)$/.exec(lines[i]);
    if (!header) continue;
    files.headers.push(header[2]);
    let source: string | null = `a/${header[1]}`;
    let target: string | null = `b/${header[2]}`;
    // The ---/+++ pair follows the extended header lines (index, mode, similarity …) of this file.
    for (let j = i + 1; j < lines.length && !lines[j].startsWith('diff --git '); j++) {
      if (lines[j].startsWith('--- ') && lines[j + 1]?.startsWith('+++ ')) {
        source = lines[j].slice(4).replace(/\t.*$/, '');
        target = lines[j + 1].slice(4).replace(/\t.*$/, '');
        break;
      }
    }
    if (source === '/dev/null') files.created.push(target.slice(2));
    else files.modified.push(source.slice(2));
    if (target === '/dev/null') files.deleted.push(source.slice(2));
  }
  return files;
}

/** Test files of the test patch, as get_test_directives reads them (Django's as module labels). */
export function testDirectives(testPatch: string, repo: string | null, excludeDeleted: boolean): string[] {
  const files = patchFiles(testPatch);
  let directives = excludeDeleted ? files.headers.filter((d) => !files.deleted.includes(d)) : files.headers;
  directives = directives.filter((d) => !NON_TEST_EXTS.some((ext) => d.endsWith(ext)));
  if (repo === 'django/django') {
    directives = directives
      .filter((d) => {
        const name = d.split('/').pop() ?? d;
        return name === 'tests.py' || name.startsWith('test_') || d.includes('/tests/') || d.includes('/test_');
      })
      .map((d) => (d.endsWith('.py') ? d.slice(0, -3) : d).replace(/^tests\//, '').replace(/\//g, '.'));
  }
  return directives;
}

/** v5's parse_eval_script: the lines without the shebang and the set line. */
export function parseEvalScript(script: string): string[] {
  return script
    .trim()
    .split('\n')
    .filter((line) => !HEADER.includes(line));
}

const assemble = (lines: string[]) => `${[...HEADER, ...recordTestExitCode(lines)].join('\n')}\n`;

export interface EvalScriptInput {
  task: SwebenchTask;
  /** --test-cmd: replaces the record's test command (and so its eval_script). */
  testCmd?: string;
}

export interface EvalScript {
  text: string;
  /** Where it came from, for the evaluation row and the user. */
  origin: 'eval_script' | 'install_config' | 'test-cmd';
}

/** The eval script for a record; a ConfigError when the record says neither how to test nor what to add. */
export function buildEvalScript({ task, testCmd }: EvalScriptInput): EvalScript {
  if (testCmd === undefined && task.evalScript) return { text: assemble(parseEvalScript(task.evalScript)), origin: 'eval_script' };
  const command = testCmd ?? task.testCmd;
  if (!command) {
    throw new ConfigError(`${task.instanceId}: the task record has no eval_script and no install_config.test_cmd: give the test command with --test-cmd`);
  }
  if (!task.testPatch) throw new ConfigError(`${task.instanceId}: the task record has no test_patch, so the tests to run are unknown`);
  if (!task.baseCommit) throw new ConfigError(`${task.instanceId}: the task record has no base_commit to reset the test files to`);
  // SWE-rebench records are graded by SWE-rebench's fork of the harness: its locale prefix and its directives
  // (deleted test files left out). An explicit --test-cmd is taken as written.
  const fork = testCmd === undefined;
  const files = patchFiles(task.testPatch);
  const reset = [
    ...(files.modified.length ? [`git checkout ${task.baseCommit} ${files.modified.join(' ')}`] : []),
    ...(files.created.length ? [`rm -f ${files.created.join(' ')}`] : []),
  ];
  const activate = ['source /opt/miniconda3/bin/activate', `conda activate ${ENV_NAME}`];
  const lines = [
    ...activate,
    `cd ${REPO_DIRECTORY}`,
    ...task.evalCommands,
    `git config --global --add safe.directory ${REPO_DIRECTORY}`,
    `cd ${REPO_DIRECTORY}`,
    'git status',
    'git show',
    `git -c core.fileMode=false diff ${task.baseCommit}`,
    ...activate,
    ...(task.install ? [`${fork ? FORK_LOCALE : ''}${task.install}`] : []),
    ...reset,
    `git apply -v - <<'${HEREDOC_DELIMITER}'\n${task.testPatch}\n${HEREDOC_DELIMITER}`,
    `: '${START_TEST_OUTPUT}'`,
    [`${fork ? FORK_LOCALE : ''}${command}`, ...testDirectives(task.testPatch, task.repo, fork)].join(' '),
    `: '${END_TEST_OUTPUT}'`,
    ...reset,
  ];
  return { text: assemble(lines), origin: testCmd === undefined ? 'install_config' : 'test-cmd' };
}
