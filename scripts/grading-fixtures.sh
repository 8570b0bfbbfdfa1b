#!/bin/bash
# Regenerates the real test logs under tests/fixtures/grading/ from the test sources in
# tests/fixtures/grading/src/, by running the real runners: pytest 8 and 9 (-rA, plain, -v, classic -vv, colour, unfolded skips),
# Django's runner at --verbosity 2 under Python 3.10 (ids "name (mod.Class)") and 3.12 ("name (mod.Class.name)"),
# sympy's own runner (bin/test --verbose), and one whole eval log framed by `bash -x` with the harness's markers.
# A developer tool, not run by CI: the logs are committed. Needs pyenv Pythons 3.10 and 3.12 and pip packages
# pytest 8.4.2 and 9.1.1, django 5.2.17, sympy 1.14.0 (the machine's local index has them).
#   bash scripts/grading-fixtures.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/tests/fixtures/grading/src
out=$repo/tests/fixtures/grading
py310=${PY310:-$HOME/.pyenv/versions/3.10.13/bin/python}
py312=${PY312:-$HOME/.pyenv/versions/3.12.1/bin/python}
py311=${PY311:-python3}
# shellcheck disable=SC2206
pip_args=(${PIP_ARGS:---quiet --index-url file:///opt/pypi/simple})
work=$(mktemp -d /tmp/agentpod-grading-fixtures.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$py310" -m venv "$work/py310"
# Python 3.10 needs only Django here (pytest would want tomli, which has no 3.10 wheel on this machine).
"$work/py310/bin/pip" install "${pip_args[@]}" --no-deps django==5.2.17 asgiref sqlparse typing-extensions
"$py312" -m venv "$work/py312"
"$work/py312/bin/pip" install "${pip_args[@]}" pytest==8.4.2 django==5.2.17 sympy==1.14.0
"$py311" -m venv "$work/pytest9"
"$work/pytest9/bin/pip" install "${pip_args[@]}" pytest==9.1.1

# pytest: the sources are copied to a testbed so the path parameter is an absolute path outside the checkout.
cp -r "$src/pytest" "$work/testbed"
cd "$work/testbed"
pytest8=("$work/py312/bin/python" -m pytest -p no:cacheprovider)
pytest9=("$work/pytest9/bin/python" -m pytest -p no:cacheprovider)
"${pytest8[@]}" -rA tests > "$out/pytest8-rA.log" 2>&1 || true
"${pytest9[@]}" -rA tests > "$out/pytest9-rA.log" 2>&1 || true
"${pytest8[@]}" tests > "$out/pytest8-plain.log" 2>&1 || true
"${pytest8[@]}" --no-header -rA -v tests > "$out/pytest8-verbose.log" 2>&1 || true
"${pytest8[@]}" -rA -vv -o console_output_style=classic --tb=no tests > "$out/pytest8-classic.log" 2>&1 || true
"${pytest8[@]}" -rA --color=yes tests > "$out/pytest8-color.log" 2>&1 || true
# pytest >= 8.3 lists each skipped test with its id ("SKIPPED id - Skipped: reason") when told not to fold them.
"${pytest8[@]}" -rA --no-fold-skipped tests > "$out/pytest8-unfolded.log" 2>&1 || true

# One whole eval log as the harness's eval script writes it: xtrace (-x) puts the no-op marker commands on
# stderr, the test command's exit code is recorded after the end marker (v5 record_test_exit_code).
cat > "$work/eval.sh" <<EOF
#!/bin/bash
set -uxo pipefail
cd $work/testbed
git status 2>/dev/null
: '>>>>> Start Test Output'
${pytest8[*]} -rA tests
SWEBENCH_TEST_EXIT_CODE=\$?
: '>>>>> End Test Output'
echo ">>>>> Test Exit Code: \$SWEBENCH_TEST_EXIT_CODE"
git checkout HEAD tests 2>/dev/null
EOF
bash "$work/eval.sh" > "$out/eval-pytest8.log" 2>&1 || true

# Django: the same test module under Python 3.10 and 3.12 (unittest changed the id format in 3.11).
cd "$src/django"
for v in py310 py312; do
  PYTHONDONTWRITEBYTECODE=1 "$work/$v/bin/python" -m django test fixture_app --settings=fixture_settings -v 2 --parallel 1 \
    > "$out/django-$v.log" 2>&1 || true
done

# sympy: its own runner (what bin/test -C --verbose runs) over a real sympy test file and the fixture file.
site=$("$work/py312/bin/python" -c 'import os, sympy; print(os.path.dirname(sympy.__file__))')
cp "$src/sympy/test_agentpod_fixture.py" "$site/utilities/tests/"
cd "$work"
SYMPY_USE_CACHE=no "$work/py312/bin/python" -c '
import sys
from sympy.testing.runtests import test
sys.exit(not test("sympy/physics/quantum/tests/test_tensorproduct.py", "sympy/utilities/tests/test_agentpod_fixture.py", verbose=True))
' > "$out/sympy.log" 2>&1 || true

echo "wrote $(ls "$out"/*.log | wc -l) logs to $out"
