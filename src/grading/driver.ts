// The grading container's main process: what the harness's run_instance does inside the container, as one
// bash script (a `podman exec` client that dies would leave its process running; a main process dies with
// the container). Pure: the paths and the test patch's files in, the script out.
import { shellQuote } from '../podman/argv.js';
import type { PatchFiles } from './eval-script.js';

/** Where the evaluation's folder is mounted in the grading container. */
export const EVAL_MOUNT = '/agentpod-eval';

/** Files in the evaluation folder: inputs the driver reads, outputs it writes. */
export const EVAL_FILES = {
  driver: 'driver.sh',
  modelPatch: 'patch.diff',
  testPatch: 'test_patch.diff',
  evalScript: 'eval.sh',
  applyLog: 'apply.log',
  testOutput: 'test_output.txt',
  /** key=value lines: how the patch went on, whether the test patch applies, the eval script's exit. */
  status: 'status.txt',
} as const;

/** The driver's exit code when the image has no repository to grade. */
export const NO_REPO_EXIT = 97;

/** v5's order of attempts; each failed one is undone before the next. */
export const APPLY_COMMANDS = ['git apply --verbose', 'git apply --verbose --3way', 'git apply --verbose --reject', 'patch --batch --forward --fuzz=5 -p1 -i'];

export interface DriverInput {
  /** The commit the test files are reset to: the record's base_commit. */
  baseCommit: string;
  /** The test patch's files; null when the record has no test patch. */
  testPatchFiles: PatchFiles | null;
  /** Where the evaluation folder and the repository are (the container's paths unless a test runs it on a host). */
  paths?: { evalDir: string; repo: string; evalScript: string };
}

const CONTAINER_PATHS = { evalDir: EVAL_MOUNT, repo: '/testbed', evalScript: '/eval.sh' };

/**
 * 1. The model patch, by the harness's fallbacks, resetting the tree between attempts; none applying but the
 *    reverse applying means "already applied". 2. The test patch's files reset one by one (the harness resets
 *    them with one `git checkout <base> f…`, which fails as a whole when one of them is new) and the test
 *    patch checked against them: the eval script applies it, but never says when that fails. 3. The eval
 *    script, its output (stdout and stderr interleaved) in test_output.txt, as /bin/bash /eval.sh.
 */
export function driverScript(input: DriverInput): string {
  const paths = input.paths ?? CONTAINER_PATHS;
  const e = (file: keyof typeof EVAL_FILES) => `${paths.evalDir}/${EVAL_FILES[file]}`;
  const q = shellQuote;
  const files = input.testPatchFiles;
  const reset = files
    ? [
        ...files.modified.map((f) => `git checkout ${q(input.baseCommit)} -- ${q(f)} >> ${e('applyLog')} 2>&1`),
        ...files.created.map((f) => `rm -f -- ${q(f)}`),
      ]
    : [];
  return `#!/bin/bash
# agentpod's grading driver (src/grading/driver.ts).
set -u
cd ${paths.repo} || { echo "no ${paths.repo} in the image" >&2; exit ${NO_REPO_EXIT}; }
status() { echo "$1" >> ${e('status')}; }
undo() { git checkout -- . >> ${e('applyLog')} 2>&1; git clean -fd >> ${e('applyLog')} 2>&1; }
applied=
for cmd in ${APPLY_COMMANDS.map(q).join(' ')}; do
  echo ">>>>> $cmd" >> ${e('applyLog')}
  if $cmd ${e('modelPatch')} >> ${e('applyLog')} 2>&1; then applied=$cmd; break; fi
  undo
done
if [ -z "$applied" ] && git apply --check --reverse ${e('modelPatch')} >> ${e('applyLog')} 2>&1; then applied='already applied'; fi
if [ -z "$applied" ]; then status 'apply=failed'; exit 0; fi
status "apply=$applied"
echo '>>>>> git -c core.fileMode=false diff (before the eval script)' >> ${e('applyLog')}
git -c core.fileMode=false diff >> ${e('applyLog')} 2>&1
${reset.join('\n')}
${files ? `if git apply --check ${e('testPatch')} >> ${e('applyLog')} 2>&1; then status 'test_patch=ok'; else status 'test_patch=failed'; fi` : "status 'test_patch=none'"}
cp ${e('evalScript')} ${paths.evalScript}
/bin/bash ${paths.evalScript} > ${e('testOutput')} 2>&1
status "eval_exit=$?"
`;
}

export interface DriverStatus {
  /** The command that applied the model patch, 'already applied', 'failed', or null when the driver died first. */
  apply: string | null;
  testPatch: 'ok' | 'failed' | 'none' | null;
  evalExit: number | null;
}

export function parseDriverStatus(text: string): DriverStatus {
  const values = new Map(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const testPatch = values.get('test_patch');
  const evalExit = values.get('eval_exit');
  return {
    apply: values.get('apply') ?? null,
    testPatch: testPatch === 'ok' || testPatch === 'failed' || testPatch === 'none' ? testPatch : null,
    evalExit: evalExit === undefined || !/^\d+$/.test(evalExit) ? null : Number(evalExit),
  };
}
