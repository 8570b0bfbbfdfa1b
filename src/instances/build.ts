// Builds a realistic instance as root (debootstrap and chroot need it) into the instance cache: a Debian
// rootfs, the released source of a real project at /testbed (root-owned git repo, the bug at the base commit),
// a venv at SWE-bench's /opt/miniconda3/envs/testbed with a conda stand-in, then validation by really running
// the tests (no patch, gold, each variant), the tarball, the records and a manifest. Nothing is half-written:
// the build happens in a temp folder beside the cache entry and is renamed into place at the end.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { swebenchRecord, swerebenchRecord, testFilesOf, v5EvalScript } from './records.js';
import { CACHE_FILES, instanceCacheDir, instanceCacheRoot, instanceImageName, loadRecipe, readRecipeFile, recipeDir, recipeHash, RECIPE_FILES, type InstanceRecipe } from './recipe.js';

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Inside the rootfs during the build; removed before the tarball. */
const BUILD_DIR = '/tmp/agentpod-build';
const CONDA_ROOT = '/opt/miniconda3';
const TEST_ENV = `${CONDA_ROOT}/envs/testbed`;
/** Debian's pytest and the Python packages it needs: copied into the venv, then purged from the system. */
const PYTEST_DEBS = ['python3-pytest', 'python3-attr', 'python3-iniconfig', 'python3-more-itertools', 'python3-packaging', 'python3-pluggy', 'python3-py'];
/** The image's config, as SWE-bench's Dockerfiles set it (base: conda's bin on PATH; instance: WORKDIR, CMD). */
const IMAGE_CHANGES = ['ENV PATH=/opt/miniconda3/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'WORKDIR /testbed', 'CMD ["/bin/bash"]'];
/** A hanging test is declared hung after this long (the whole suite takes about a second). */
const HANG_TIMEOUT_S = 10;

export interface BuildManifest {
  id: string;
  instanceId: string;
  recipeHash: string;
  image: string;
  baseCommit: string;
  testFiles: string[];
  failToPass: string[];
  passToPass: string[];
  builtAt: string;
  buildSeconds: number;
  phaseSeconds: Record<string, number>;
  rootfsBytes: number;
  tarballBytes: number;
  debianMirror: string;
  /** Versions inside the image, for the record. */
  python: string;
  pytest: string;
  git: string;
  /** `podman import --change` values: the image's config and labels. */
  imageChanges: string[];
}

/** The deb822 .sources and one-line sources.list texts apt uses → the first URI that serves `suite`. */
export function debianMirror(texts: string[], suite: string): string | null {
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1].trim().split(/\s+/) ?? [];
      if (field('Types').includes('deb') && field('Suites').includes(suite) && field('URIs')[0]) return field('URIs')[0];
    }
    for (const line of text.split('\n')) {
      const m = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
      if (m && m[2] === suite) return m[1];
    }
  }
  return null;
}

function hostMirror(suite: string): string {
  if (process.env.AGENTPOD_DEBIAN_MIRROR) return process.env.AGENTPOD_DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').filter((f) => /\.(list|sources)$/.test(f)).map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  const texts = files.filter(existsSync).map((f) => readFileSync(f, 'utf8'));
  return debianMirror(texts, suite) ?? 'http://deb.debian.org/debian';
}

// ---- what runs inside the rootfs (arguments come as positional parameters or variables, never spliced in)

/** $1 package, $2 version, $3 orig tarball, $4 its sha256, $5 mirror, $6 suite: the released source at /testbed. */
const FETCH_SOURCE = `set -euo pipefail
work=$(mktemp -d)
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
echo "deb-src $5 $6 main" > "$work/sources.list"
apt=(apt-get -qq -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Acquire::Check-Valid-Until=false
     -o Acquire::Languages=none -o APT::Sandbox::User=root)
"\${apt[@]}" update
cd "$work/src"
"\${apt[@]}" source --download-only "$1=$2" >/dev/null
echo "$4  $3" | sha256sum --check --quiet
umask 022
mkdir /testbed
tar -xf "$3" -C /testbed --strip-components=1 --no-same-owner --no-same-permissions
rm -rf "$work"`;

/** $1 author, $2 email, $3 date, $4 message: the bug put in, then one root commit (same tree → same hash). */
const BASE_COMMIT = `set -euo pipefail
cd /testbed
git apply ${BUILD_DIR}/${RECIPE_FILES.base}
git init -q -b main
git add -A
export GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_AUTHOR_DATE="$3" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" GIT_COMMITTER_DATE="$3"
git -c commit.gpgsign=false commit -q -m "$4"
git rev-parse HEAD`;

/**
 * $@ = Debian's pytest packages. The venv owns its pytest (copied from Debian's package, which is then purged
 * with what depends on it), so it works over the image's /usr and over the host's (a host-sharing run mounts it).
 */
const TEST_ENV_SETUP = `set -euo pipefail
python3 -m venv ${TEST_ENV}
site=$(echo ${TEST_ENV}/lib/python3*/site-packages)
dpkg -L "$@" | grep '^/usr/lib/python3/dist-packages/.' | while IFS= read -r f; do
  if [ -f "$f" ]; then install -D -m 644 "$f" "$site/\${f#/usr/lib/python3/dist-packages/}"; fi
done
for name in pytest py.test; do
  printf '#!${TEST_ENV}/bin/python\\nimport sys\\nfrom pytest import console_main\\nif __name__ == "__main__":\\n    sys.exit(console_main())\\n' > ${TEST_ENV}/bin/$name
  chmod 755 ${TEST_ENV}/bin/$name
done
DEBIAN_FRONTEND=noninteractive apt-get -qq -o APT::Sandbox::User=root purge -y "$@" >/dev/null
set --  # bin/activate reads $1 as the env to activate
source ${CONDA_ROOT}/bin/activate
conda activate testbed
cd /testbed
eval "$AGENTPOD_INSTALL"
python -m compileall -q "$site"
python -c 'import sys, pytest; print(sys.version.split()[0], pytest.__version__)'
git --version`;

/** One validation run: reset, apply $AGENTPOD_PATCH (if any), then the record's eval script or a test command. */
const RUN_CASE = `set -uo pipefail
cd /testbed
git checkout -q -- . && git clean -fdq || exit 90
if [ -n "$AGENTPOD_PATCH" ]; then git apply "$AGENTPOD_PATCH" || exit 91; fi
export PYTHONPATH=${BUILD_DIR} PYTEST_ADDOPTS="-p agentpod_outcomes"
if [ "$AGENTPOD_MODE" = eval ]; then
  bash ${BUILD_DIR}/eval.sh
else
  source ${CONDA_ROOT}/bin/activate && conda activate testbed && git apply ${BUILD_DIR}/${RECIPE_FILES.testPatch} || exit 92
  timeout "$AGENTPOD_TIMEOUT" bash -c "$AGENTPOD_COMMAND"
fi`;

/** The harness's apply fallbacks with resets in between, and its "already applied" check: all must fail. */
const NEVER_APPLIES = `set -uo pipefail
cd /testbed
for cmd in "git apply --verbose" "git apply --verbose --3way" "git apply --verbose --reject" "patch --batch --forward --fuzz=5 -p1 -i"; do
  git checkout -q -- . && git clean -fdq
  if $cmd "$AGENTPOD_PATCH" >/dev/null 2>&1; then echo "applies with: $cmd"; exit 1; fi
done
git checkout -q -- . && git clean -fdq
if git apply --check --reverse "$AGENTPOD_PATCH" 2>/dev/null; then echo "counts as already applied"; exit 1; fi
exit 0`;

/** Leaves /testbed as a fresh clone plus the editable install: no caches, no changes. */
const RESET_TESTBED = `set -euo pipefail
cd /testbed
git checkout -q -- . && git clean -fdq
find /testbed -name __pycache__ -prune -exec rm -rf {} +
rm -f /root/.gitconfig
test -z "$(git status --porcelain)" || { git status --porcelain; exit 1; }`;

/** Each test's start and reports as JSON lines, for the validation runs only (never in the image). */
const OUTCOMES_PLUGIN = `# agentpod's instance builder: test outcomes as JSON lines for the build's own validation runs.
import json
import os

_out = open(os.environ["AGENTPOD_OUTCOMES"], "a", buffering=1)


def pytest_runtest_logstart(nodeid, location):
    _out.write(json.dumps({"start": nodeid}) + "\\n")


def pytest_runtest_logreport(report):
    _out.write(json.dumps({"test": report.nodeid, "when": report.when, "outcome": report.outcome}) + "\\n")


def pytest_collectreport(report):
    if report.failed:
        _out.write(json.dumps({"collect": report.nodeid, "outcome": "failed"}) + "\\n")
`;

/** agentpod's stand-in for conda's shell integration, at the paths SWE-bench's eval scripts source. */
const CONDA_SH = `# agentpod's stand-in for conda's shell integration (SWE-bench images carry miniconda at ${CONDA_ROOT}):
# the environments are Python venvs under ${CONDA_ROOT}/envs; \`conda activate NAME\` activates one.
# Safe under \`set -u\`, as SWE-bench's eval scripts run with \`set -uxo pipefail\`.
export CONDA_EXE=${CONDA_ROOT}/bin/conda
_CONDA_ROOT=${CONDA_ROOT}

__conda_deactivate() {
    if command -v deactivate >/dev/null 2>&1; then deactivate; fi
    unset CONDA_PREFIX CONDA_DEFAULT_ENV CONDA_PROMPT_MODIFIER
    CONDA_SHLVL=0
    export CONDA_SHLVL
}

__conda_activate() {
    case "$1" in
        base) __conda_prefix=$_CONDA_ROOT ;;
        /*) __conda_prefix=$1 ;;
        *) __conda_prefix=$_CONDA_ROOT/envs/$1 ;;
    esac
    if [ "$__conda_prefix" != "$_CONDA_ROOT" ] && [ ! -f "$__conda_prefix/bin/activate" ]; then
        echo "EnvironmentNameNotFound: Could not find conda environment: $1" >&2
        return 1
    fi
    __conda_deactivate
    if [ "$__conda_prefix" = "$_CONDA_ROOT" ]; then
        case ":$PATH:" in *":$_CONDA_ROOT/bin:"*) ;; *) PATH=$_CONDA_ROOT/bin:$PATH; export PATH ;; esac
        CONDA_SHLVL=1
    else
        . "$__conda_prefix/bin/activate"
        CONDA_SHLVL=2
    fi
    CONDA_PREFIX=$__conda_prefix
    CONDA_DEFAULT_ENV=$1
    CONDA_PROMPT_MODIFIER="($1) "
    export CONDA_PREFIX CONDA_DEFAULT_ENV CONDA_PROMPT_MODIFIER CONDA_SHLVL
    unset __conda_prefix
}

conda() {
    case "\${1:-}" in
        activate) __conda_activate "\${2:-base}" ;;
        deactivate) __conda_deactivate ;;
        *) "$CONDA_EXE" "$@" ;;
    esac
}
`;

const CONDA_ACTIVATE = `# agentpod's stand-in for conda's bin/activate: \`source ${CONDA_ROOT}/bin/activate [ENV]\` (default: base).
. ${CONDA_ROOT}/etc/profile.d/conda.sh || return $?
conda activate "\${1:-base}"
`;

const CONDA_BIN = `#!/bin/sh
# agentpod's stand-in for the conda command of SWE-bench images (${CONDA_ROOT}/etc/profile.d/conda.sh holds
# the shell part: activate, deactivate).
root=${CONDA_ROOT}
case "\${1:-}" in
    activate|deactivate)
        echo "CondaError: Run 'source $root/bin/activate' before 'conda $1'." >&2
        exit 1 ;;
    env|info)
        echo "# conda environments:"
        echo "#"
        printf '%-25s %s\\n' base "$root"
        for env in "$root"/envs/*/; do printf '%-25s %s\\n' "$(basename "$env")" "\${env%/}"; done ;;
    run)
        if [ "\${2:-}" != -n ] || [ -z "\${3:-}" ]; then echo "usage: conda run -n ENV COMMAND [ARG...]" >&2; exit 2; fi
        env=$root/envs/$3
        shift 3
        PATH=$env/bin:$PATH VIRTUAL_ENV=$env exec "$@" ;;
    *)
        echo "agentpod's conda stand-in knows activate, deactivate, env list, info --envs and run -n ENV, not: $*" >&2
        exit 1 ;;
esac
`;

// ---- the build

type Outcome = 'passed' | 'failed' | 'skipped' | 'hung';

/** The JSON lines of the outcomes plugin → each test's outcome; a test that started and never reported is hung. */
export function outcomesOf(jsonl: string): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  for (const line of jsonl.split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as { start?: string; test?: string; collect?: string; when?: string; outcome?: string };
    if (event.start !== undefined) outcomes.set(event.start, 'hung');
    else if (event.collect !== undefined) outcomes.set(event.collect, 'failed');
    else if (event.test !== undefined) {
      const before = outcomes.get(event.test);
      if (event.outcome === 'failed') outcomes.set(event.test, 'failed');
      else if (event.outcome === 'skipped' && before !== 'failed') outcomes.set(event.test, 'skipped');
      else if (event.when === 'call' && event.outcome === 'passed' && before === 'hung') outcomes.set(event.test, 'passed');
    }
  }
  return outcomes;
}

/** Runs bash in the rootfs: own mount and pid namespaces with a fresh /proc, no network unless asked. */
async function inChroot(rootfs: string, what: string, script: string, opts: { args?: string[]; env?: Record<string, string>; network?: boolean; reject?: boolean } = {}) {
  const env = Object.entries({ PATH: CHROOT_PATH, HOME: '/root', LANG: 'C.UTF-8', ...opts.env }).map(([k, v]) => `${k}=${v}`);
  const argv = ['--mount', '--pid', '--fork', ...(opts.network ? [] : ['--net']), `--mount-proc=${join(rootfs, 'proc')}`, 'chroot', rootfs, '/usr/bin/env', '-i', ...env, '/bin/bash', '-c', script, 'bash', ...(opts.args ?? [])];
  const r = await execa('unshare', argv, { reject: false, stdin: 'ignore', all: true });
  if (opts.reject !== false && r.exitCode !== 0) throw new UserError(`instance build: ${what} failed (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-6).join(' | ')}`);
  return r;
}

async function timed<T>(phases: Record<string, number>, name: string, log: (line: string) => void, step: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await step();
  phases[name] = Math.round((performance.now() - t0) / 100) / 10;
  log(`  ${name}: ${phases[name]} s`);
  return result;
}

interface CaseResult {
  exitCode: number;
  outcomes: Map<string, Outcome>;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UserError(`instance build: validation failed: ${message}`);
}

const failing = (outcomes: Map<string, Outcome>) => [...outcomes].filter(([, o]) => o !== 'passed').map(([t, o]) => `${t} ${o}`);

/** Runs every validation case; returns PASS_TO_PASS (passing without the gold patch and with it). */
async function validate(rootfs: string, recipe: InstanceRecipe, testFiles: string[]): Promise<string[]> {
  let n = 0;
  const run = async (what: string, patch: string | null, mode: { eval: true } | { command: string }): Promise<CaseResult> => {
    const outcomesFile = `${BUILD_DIR}/outcomes-${n++}.jsonl`;
    const env = {
      AGENTPOD_PATCH: patch === null ? '' : `${BUILD_DIR}/${patch}`,
      AGENTPOD_OUTCOMES: outcomesFile,
      AGENTPOD_MODE: 'eval' in mode ? 'eval' : 'command',
      AGENTPOD_COMMAND: 'command' in mode ? mode.command : '',
      AGENTPOD_TIMEOUT: String(HANG_TIMEOUT_S),
    };
    const r = await inChroot(rootfs, what, RUN_CASE, { env, reject: false });
    const code = r.exitCode ?? -1;
    if (code >= 90 && code <= 92) throw new UserError(`instance build: ${what}: a patch did not apply (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    const file = join(rootfs, outcomesFile);
    const outcomes = outcomesOf(existsSync(file) ? readFileSync(file, 'utf8') : '');
    check(outcomes.size > 0, `${what}: no test ran: ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    return { exitCode: code, outcomes };
  };
  const tests = `${recipe.testCmd} ${testFiles.join(' ')}`;
  const f2p = recipe.failToPass;

  const before = await run('the eval script without a patch', null, { eval: true });
  for (const t of f2p) check(before.outcomes.get(t) === 'failed', `without a patch, FAIL_TO_PASS ${t} is ${before.outcomes.get(t) ?? 'missing'}, not failed`);
  const others = [...before.outcomes].filter(([t]) => !f2p.includes(t));
  check(others.every(([, o]) => o === 'passed'), `without a patch, tests other than FAIL_TO_PASS fail: ${failing(new Map(others)).join(', ')}`);

  const gold = await run('the eval script with the gold patch', RECIPE_FILES.gold, { eval: true });
  check(failing(gold.outcomes).length === 0, `with the gold patch: ${failing(gold.outcomes).join(', ')}`);
  for (const t of f2p) check(gold.outcomes.get(t) === 'passed', `with the gold patch, FAIL_TO_PASS ${t} is ${gold.outcomes.get(t) ?? 'missing'}`);
  const passToPass = others.map(([t]) => t).filter((t) => gold.outcomes.get(t) === 'passed');
  check(passToPass.length === others.length, 'some test passes without the gold patch but is missing with it');

  const rebench = await run('the SWE-rebench test command with the gold patch', RECIPE_FILES.gold, { command: `${recipe.rebenchTestCmd} ${testFiles.join(' ')}` });
  check(failing(rebench.outcomes).length === 0 && rebench.outcomes.size === gold.outcomes.size, `the SWE-rebench test command with the gold patch: ${failing(rebench.outcomes).join(', ') || `${rebench.outcomes.size} tests, not ${gold.outcomes.size}`}`);

  for (const name of ['partial', 'breaksPassToPass'] as const) {
    const v = recipe.variants[name];
    const r = await run(`variant ${name}`, v.file, { command: tests });
    const got = failing(r.outcomes);
    const want = (v.fails ?? []).map((t) => `${t} failed`);
    check(got.length === want.length && want.every((w) => got.includes(w)), `variant ${name}: expected exactly ${want.join(', ')} to fail, got ${got.join(', ') || 'none'}`);
  }

  const hangs = recipe.variants.hangs;
  const hung = await run('variant hangs', hangs.file, { command: tests });
  check(hung.exitCode === 124, `variant hangs: the tests ended by themselves (exit ${hung.exitCode})`);
  check(hung.outcomes.get(hangs.hangs!) === 'hung', `variant hangs: ${hangs.hangs} is ${hung.outcomes.get(hangs.hangs!) ?? 'missing'}, not hung`);

  const never = await inChroot(rootfs, 'variant doesNotApply', NEVER_APPLIES, { env: { AGENTPOD_PATCH: `${BUILD_DIR}/${recipe.variants.doesNotApply.file}` }, reject: false });
  check(never.exitCode === 0, `variant doesNotApply: ${String(never.all).trim()}`);
  return passToPass;
}

function writeFile(file: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** The conda stand-in (shell part, bin/activate, bin/conda, the base env's python) and SWE-bench's .bashrc line. */
function writeCondaStandIn(rootfs: string): void {
  writeFile(join(rootfs, CONDA_ROOT, 'etc/profile.d/conda.sh'), CONDA_SH);
  writeFile(join(rootfs, CONDA_ROOT, 'bin/activate'), CONDA_ACTIVATE);
  writeFile(join(rootfs, CONDA_ROOT, 'bin/conda'), CONDA_BIN, 0o755);
  // conda's base env has a python of its own, without the project's packages: the system's here.
  for (const name of ['python', 'python3']) symlinkSync('/usr/bin/python3', join(rootfs, CONDA_ROOT, 'bin', name));
  const bashrc = join(rootfs, 'root/.bashrc');
  writeFileSync(bashrc, `${existsSync(bashrc) ? readFileSync(bashrc, 'utf8') : ''}\nsource ${CONDA_ROOT}/etc/profile.d/conda.sh && conda activate testbed\n`);
}

/** What an image needs no copy of: package lists and caches, docs but their copyright, man pages, translations. */
async function slimRootfs(rootfs: string): Promise<void> {
  for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'tmp', 'var/tmp', 'root/.cache']) {
    const path = join(rootfs, dir);
    if (!existsSync(path)) continue;
    for (const entry of readdirSync(path)) if (entry !== 'partial' || dir !== 'var/lib/apt/lists') rmSync(join(path, entry), { recursive: true, force: true });
  }
  await execa('find', [join(rootfs, 'usr/share/doc'), '-type', 'f', '!', '-name', 'copyright', '-delete']);
  await execa('find', [join(rootfs, 'usr/share/doc'), '-mindepth', '1', '-type', 'd', '-empty', '-delete']);
  // The build host's resolver and name: podman supplies its own at run time.
  writeFileSync(join(rootfs, 'etc/resolv.conf'), '');
  writeFileSync(join(rootfs, 'etc/hostname'), 'localhost\n');
}

async function duBytes(path: string): Promise<number> {
  return Number((await execa('du', ['-sb', path])).stdout.split(/\s/)[0]);
}

/**
 * Builds instance `id` into the cache unless it is there (or `rebuild`); returns its manifest. The caller holds
 * the cache's build lock (scripts/setup.sh runs it under flock), so temp folders of other builds are leftovers.
 */
export async function buildInstance(id: string, opts: { log: (line: string) => void; rebuild?: boolean }): Promise<{ manifest: BuildManifest; built: boolean }> {
  const { log } = opts;
  const recipe = loadRecipe(id);
  const hash = recipeHash(id);
  const final = instanceCacheDir(hash);
  const manifestFile = join(final, CACHE_FILES.manifest);
  if (existsSync(manifestFile) && !opts.rebuild) return { manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as BuildManifest, built: false };
  if (process.getuid?.() !== 0) throw new UserError(`building instance ${id} needs root (debootstrap, chroot): run npm run setup as root`);

  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const image = instanceImageName(id, hash);
  mkdirSync(instanceCacheRoot(), { recursive: true, mode: 0o755 });
  chmodSync(instanceCacheRoot(), 0o755);
  for (const entry of readdirSync(instanceCacheRoot())) {
    if (entry.startsWith('.build-')) {
      log(`removing ${entry}, left by an interrupted build`);
      rmSync(join(instanceCacheRoot(), entry), { recursive: true, force: true });
    }
  }
  const work = mkdtempSync(join(instanceCacheRoot(), `.build-${hash.slice(0, 12)}-`));
  const rootfs = join(work, 'rootfs');
  try {
    const { suite, packages, source, sourceVersion, orig, origSha256 } = recipe.debian;
    const mirror = hostMirror(suite);
    const testPatch = readRecipeFile(id, RECIPE_FILES.testPatch);
    const testFiles = testFilesOf(testPatch);
    log(`building instance ${id} as ${image} in ${work} (Debian ${suite} from ${mirror})`);
    await timed(phases, 'debootstrap', log, async () => {
      const r = await execa('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, suite, rootfs, mirror], { reject: false, all: true });
      if (r.exitCode !== 0) throw new UserError(`instance build: debootstrap failed (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    });
    const buildDir = join(rootfs, BUILD_DIR);
    mkdirSync(join(buildDir, 'variants'), { recursive: true });
    for (const rel of [RECIPE_FILES.base, RECIPE_FILES.testPatch, RECIPE_FILES.gold, ...Object.values(recipe.variants).map((v) => v.file)]) copyFileSync(join(recipeDir(id), rel), join(buildDir, rel));
    writeFileSync(join(buildDir, 'agentpod_outcomes.py'), OUTCOMES_PLUGIN);

    await timed(phases, 'source', log, () => inChroot(rootfs, `apt-get source ${source}=${sourceVersion}`, FETCH_SOURCE, { args: [source, sourceVersion, orig, origSha256, mirror, suite], network: true }));
    const baseCommit = await timed(phases, 'base commit', log, async () => {
      const r = await inChroot(rootfs, 'the base commit', BASE_COMMIT, { args: [recipe.base.author, recipe.base.email, recipe.base.date, recipe.base.message] });
      return String(r.stdout).trim().split('\n').pop()!;
    });
    writeCondaStandIn(rootfs);
    const versions = await timed(phases, 'test env', log, async () => {
      const r = await inChroot(rootfs, 'the test env', TEST_ENV_SETUP, { args: PYTEST_DEBS, env: { AGENTPOD_INSTALL: recipe.install } });
      const lines = String(r.stdout).trim().split('\n');
      const [python, pytest] = lines[lines.length - 2].split(' ');
      return { python, pytest, git: lines[lines.length - 1].replace(/^git version /, '') };
    });

    const built = {
      image,
      baseCommit,
      problemStatement: readRecipeFile(id, RECIPE_FILES.problemStatement),
      testPatch,
      goldPatch: readRecipeFile(id, RECIPE_FILES.gold),
      passToPass: [] as string[],
    };
    writeFileSync(join(buildDir, 'eval.sh'), v5EvalScript({ baseCommit, testPatch, install: recipe.install, testCmd: recipe.testCmd }));
    built.passToPass = await timed(phases, 'validation', log, () => validate(rootfs, recipe, testFiles));
    await inChroot(rootfs, 'the reset of /testbed', RESET_TESTBED);

    const tarball = join(work, CACHE_FILES.tarball);
    const rootfsBytes = await timed(phases, 'tarball', log, async () => {
      await slimRootfs(rootfs);
      const bytes = await duBytes(rootfs);
      // Numeric owners as built (root, _apt…); no device nodes (rootless podman cannot create them; it mounts /dev).
      await execa('tar', ['--numeric-owner', '--zstd', '-C', rootfs, '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '-cf', tarball, '.']);
      return bytes;
    });
    rmSync(rootfs, { recursive: true, force: true });

    const patchesDir = join(work, CACHE_FILES.patches);
    for (const rel of [RECIPE_FILES.testPatch, RECIPE_FILES.gold, ...Object.values(recipe.variants).map((v) => v.file)]) {
      mkdirSync(dirname(join(patchesDir, rel)), { recursive: true });
      copyFileSync(join(recipeDir(id), rel), join(patchesDir, rel));
    }
    writeFileSync(join(work, CACHE_FILES.swebench), `${JSON.stringify(swebenchRecord(recipe, built))}\n`);
    writeFileSync(join(work, CACHE_FILES.swerebench), `${JSON.stringify(swerebenchRecord(recipe, built))}\n`);
    const manifest: BuildManifest = {
      id,
      instanceId: recipe.instanceId,
      recipeHash: hash,
      image,
      baseCommit,
      testFiles,
      failToPass: recipe.failToPass,
      passToPass: built.passToPass,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - t0) / 100) / 10,
      phaseSeconds: phases,
      rootfsBytes,
      tarballBytes: statSync(tarball).size,
      debianMirror: mirror,
      ...versions,
      imageChanges: [...IMAGE_CHANGES, `LABEL agentpod.instance=${id}`, `LABEL agentpod.instance-recipe=${hash}`],
    };
    writeFileSync(join(work, CACHE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await execa('chmod', ['-R', 'u=rwX,go=rX', work]);
    rmSync(final, { recursive: true, force: true });
    renameSync(work, final);
    return { manifest, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
