// What the instance builder runs inside the rootfs (bash, with arguments as positional parameters or
// variables, never spliced in), the pytest plugin of its validation runs, and the conda stand-in it installs.
import { RECIPE_FILES } from './recipe.js';

/** Inside the rootfs during the build; removed before the tarball. */
export const BUILD_DIR = '/tmp/agentpod-build';
export const CONDA_ROOT = '/opt/miniconda3';
const TEST_ENV = `${CONDA_ROOT}/envs/testbed`;

/** $1 package, $2 version, $3 orig tarball, $4 its sha256, $5 mirror, $6 suite: the released source at /testbed. */
export const FETCH_SOURCE = `set -euo pipefail
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
export const BASE_COMMIT = `set -euo pipefail
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
export const TEST_ENV_SETUP = `set -euo pipefail
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
export const RUN_CASE = `set -uo pipefail
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
export const NEVER_APPLIES = `set -uo pipefail
cd /testbed
for cmd in "git apply --verbose" "git apply --verbose --3way" "git apply --verbose --reject" "patch --batch --forward --fuzz=5 -p1 -i"; do
  git checkout -q -- . && git clean -fdq
  if $cmd "$AGENTPOD_PATCH" >/dev/null 2>&1; then echo "applies with: $cmd"; exit 1; fi
done
git checkout -q -- . && git clean -fdq
if git apply --check --reverse "$AGENTPOD_PATCH" 2>/dev/null; then echo "counts as already applied"; exit 1; fi
exit 0`;

/** Leaves /testbed as a fresh clone plus the editable install: no caches, no changes. */
export const RESET_TESTBED = `set -euo pipefail
cd /testbed
git checkout -q -- . && git clean -fdq
find /testbed -name __pycache__ -prune -exec rm -rf {} +
rm -f /root/.gitconfig
test -z "$(git status --porcelain)" || { git status --porcelain; exit 1; }`;

/** Each test's start and reports as JSON lines, for the validation runs only (never in the image). */
export const OUTCOMES_PLUGIN = `# agentpod's instance builder: test outcomes as JSON lines for the build's own validation runs.
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
export const CONDA_SH = `# agentpod's stand-in for conda's shell integration (SWE-bench images carry miniconda at ${CONDA_ROOT}):
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

export const CONDA_ACTIVATE = `# agentpod's stand-in for conda's bin/activate: \`source ${CONDA_ROOT}/bin/activate [ENV]\` (default: base).
. ${CONDA_ROOT}/etc/profile.d/conda.sh || return $?
conda activate "\${1:-base}"
`;

export const CONDA_BIN = `#!/bin/sh
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
