import { describe, expect, it } from 'vitest';
import { bashFamily, splitSimpleCommands, toolCallDetail } from '../../src/analysis/families.js';

describe('Bash command families', () => {
  it.each([
    ['pytest tests/test_x.py -x', 'test'],
    ['cd /testbed && python -m pytest -q tests/ 2>&1 | tail -20', 'test'],
    ['/opt/miniconda3/envs/testbed/bin/python -m pytest', 'test'],
    ['tox -e py311', 'test'],
    ['./tests/runtests.py admin_views', 'test'],
    ['python tests/runtests.py --parallel 1', 'test'],
    ['bin/test sympy/core', 'test'],
    ['./run-tests.sh unit', 'test'],
    ['python -m unittest discover', 'test'],
    ['npm test', 'test'],
    ['npm run test -- --watch=false', 'test'],
    ['go test ./...', 'test'],
    ['cargo test --release', 'test'],
    ['make test', 'test'],
    ['timeout 300 pytest -x', 'test'],
    ['PYTHONPATH=. pytest', 'test'],
    ['bash -c "cd /testbed && pytest"', 'test'],
    ['pip install -e .', 'install'],
    ['pip3 install requests', 'install'],
    ['python -m pip install numpy', 'install'],
    ['uv pip install -r requirements.txt', 'install'],
    ['conda install -y scipy', 'install'],
    ['npm ci', 'install'],
    ['sudo apt-get install -y jq', 'install'],
    ['python -c "import sys; print(sys.version)"', 'python'],
    ['python3 reproduce.py', 'python'],
    ['git diff HEAD', 'git'],
    ['git log --oneline | grep fix', 'git'],
    ['grep -rn "def foo" src/', 'search'],
    ['rg TODO', 'search'],
    ["find . -name '*.py' | xargs grep -l foo", 'search'],
    ['ls -la', 'search'],
    ['cat setup.py', 'other'],
    ['sed -n 1,20p file.py', 'other'],
    ['pip list | grep numpy', 'search'],
    ['', 'other'],
  ])('%s → %s', (command, family) => {
    expect(bashFamily(command)).toBe(family);
  });

  it('takes the first family in the order test, install, python, git, search, other', () => {
    expect(bashFamily('git status && pytest')).toBe('test');
    expect(bashFamily('grep x f && python run.py')).toBe('python');
    expect(bashFamily('pip install -e . && python -m pytest')).toBe('test');
  });

  it('splits at unquoted operators only', () => {
    expect(splitSimpleCommands(`echo "a && b" | grep 'x;y' ; ls`)).toEqual([['echo', 'a && b'], ['grep', 'x;y'], ['ls']]);
    expect(bashFamily('echo "pytest"')).toBe('other');
  });
});

describe('toolCallDetail', () => {
  it('takes the field that says what the call was about', () => {
    expect(toolCallDetail('{"command":"ls","description":"List"}')).toBe('ls');
    expect(toolCallDetail('{"file_path":"/a/b.py"}')).toBe('/a/b.py');
    expect(toolCallDetail('{"description":"Count files","prompt":"…"}')).toBe('Count files');
    expect(toolCallDetail('{"todos":[]}')).toBe('');
    expect(toolCallDetail('not json')).toBe('');
    expect(toolCallDetail(null)).toBe('');
  });
});
