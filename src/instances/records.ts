// The task records of a built instance, in the two shapes real users hold: a SWE-bench v5 record (lists as
// JSON text, the whole eval_script) and a SWE-rebench record (real lists, install_config). Pure functions of
// the recipe and what the build found (the base commit, the validated PASS_TO_PASS).
import type { InstanceRecipe } from './recipe.js';

/** The harness's NON_TEST_EXTS: files of a test patch that are not test directives ("csv" has no dot there). */
const NON_TEST_EXTS = ['.json', '.png', 'csv', '.txt', '.md', '.jpg', '.jpeg', '.pkl', '.yml', '.yaml', '.toml'];

/** The heredoc delimiter SWE-bench's eval scripts use for the test patch. */
export const HEREDOC_DELIMITER = 'EOF_114329324912';

/** The files a diff touches (b/ side of each `diff --git` header), in order, without duplicates. */
export function filesOfDiff(diff: string): string[] {
  const files: string[] = [];
  for (const m of diff.matchAll(/^diff --git a\/\S+ b\/(\S+)$/gm)) if (!files.includes(m[1])) files.push(m[1]);
  return files;
}

/** The test directives: the test patch's files that are not data (as the harness's get_test_directives). */
export function testFilesOf(testPatch: string): string[] {
  return filesOfDiff(testPatch).filter((f) => !NON_TEST_EXTS.some((ext) => f.endsWith(ext)));
}

export interface EvalScriptInput {
  baseCommit: string;
  testPatch: string;
  install: string;
  testCmd: string;
}

/**
 * A SWE-bench v5 eval_script, line for line as the datasets carry it: activate the env, show the state,
 * repeat the install, reset the test files to the base commit, apply the test patch by heredoc, run the tests
 * between the markers, reset the test files again. (The harness adds the exit-code lines at run time.)
 */
export function v5EvalScript(input: EvalScriptInput): string {
  const files = testFilesOf(input.testPatch).join(' ');
  const activate = ['source /opt/miniconda3/bin/activate', 'conda activate testbed'];
  return [
    '#!/bin/bash',
    'set -uxo pipefail',
    ...activate,
    'cd /testbed',
    'git config --global --add safe.directory /testbed',
    'cd /testbed',
    'git status',
    'git show',
    `git -c core.fileMode=false diff ${input.baseCommit}`,
    ...activate,
    input.install,
    `git checkout ${input.baseCommit} ${files}`,
    `git apply -v - <<'${HEREDOC_DELIMITER}'\n${input.testPatch}\n${HEREDOC_DELIMITER}`,
    ": '>>>>> Start Test Output'",
    `${input.testCmd} ${files}`,
    ": '>>>>> End Test Output'",
    `git checkout ${input.baseCommit} ${files}`,
  ].join('\n') + '\n';
}

export interface BuiltFacts {
  image: string;
  baseCommit: string;
  problemStatement: string;
  testPatch: string;
  goldPatch: string;
  /** Validated by running the tests: every test that passes without the gold patch and with it. */
  passToPass: string[];
}

/** The fields both datasets share (SWE-bench's classic ones, but for the test lists). */
function classicFields(recipe: InstanceRecipe, built: BuiltFacts): Record<string, unknown> {
  return {
    repo: recipe.repo,
    instance_id: recipe.instanceId,
    base_commit: built.baseCommit,
    patch: built.goldPatch,
    test_patch: built.testPatch,
    problem_statement: built.problemStatement,
    hints_text: '',
    created_at: recipe.createdAt,
    version: recipe.version,
    environment_setup_commit: built.baseCommit,
  };
}

/** SWE-bench v5 (SWE-bench/SWE-bench_Verified on the Hub): FAIL_TO_PASS / PASS_TO_PASS are JSON text. */
export function swebenchRecord(recipe: InstanceRecipe, built: BuiltFacts): Record<string, unknown> {
  return {
    ...classicFields(recipe, built),
    FAIL_TO_PASS: JSON.stringify(recipe.failToPass),
    PASS_TO_PASS: JSON.stringify(built.passToPass),
    image: built.image,
    eval_script: v5EvalScript({ baseCommit: built.baseCommit, testPatch: built.testPatch, install: recipe.install, testCmd: recipe.testCmd }),
    log_parser: recipe.logParser,
    eval_type: 'pass_and_fail',
  };
}

/** SWE-rebench (nebius/SWE-rebench): real lists, install_config with test_cmd and log_parser, image_name/docker_image. */
export function swerebenchRecord(recipe: InstanceRecipe, built: BuiltFacts): Record<string, unknown> {
  return {
    ...classicFields(recipe, built),
    FAIL_TO_PASS: recipe.failToPass,
    PASS_TO_PASS: built.passToPass,
    FAIL_TO_FAIL: [],
    PASS_TO_FAIL: [],
    install_config: {
      env_vars: null,
      env_yml_path: null,
      install: recipe.install,
      log_parser: recipe.logParser,
      no_use_env: null,
      packages: null,
      pip_packages: ['pytest'],
      pre_install: null,
      python: '3.11',
      reqs_path: null,
      test_cmd: recipe.rebenchTestCmd,
    },
    meta: {
      commit_name: 'head_commit',
      failed_lite_validators: [],
      has_test_patch: true,
      is_lite: true,
      num_modified_files: filesOfDiff(built.goldPatch).length,
    },
    license_name: recipe.license,
    docker_image: built.image,
    image_name: built.image,
  };
}
