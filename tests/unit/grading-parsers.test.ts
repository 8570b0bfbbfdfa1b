// Each harness parser on real runner output (tests/fixtures/grading/*.log, made by scripts/grading-fixtures.sh
// with pytest 8.4 and 9.1, Django 5.2 under Python 3.10 and 3.12, sympy 1.14's own runner), and on hand-written
// lines where a format cannot be produced on this machine (older pytest, rare Django prints); each quirk the
// harness has is asserted, since the datasets' test ids were recorded through them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parserByName, parserFor, PARSER_NAMES, REPO_PARSERS } from '../../src/grading/parsers/index.js';
import { parseLogDjango } from '../../src/grading/parsers/django.js';
import { parseLogMatplotlib, parseLogPytest, parseLogPytestOptions, parseLogPytestV2, pathParamId } from '../../src/grading/parsers/pytest.js';
import { parseLogSeaborn } from '../../src/grading/parsers/seaborn.js';
import { parseLogSympy } from '../../src/grading/parsers/sympy.js';
import { ParserCrash } from '../../src/grading/status.js';
import { entries, fixtureLog, PATH_PARAM } from '../helpers/grading.js';

const pytest8 = fixtureLog('pytest8-rA.log');

describe('parse_log_pytest (pytest -rA)', () => {
  const m = parseLogPytest(pytest8);

  it('keys the summary lines: FAILED with its " - message" dropped, XFAIL by its id, ERROR after the PASSED of a teardown error', () => {
    expect(m.get('tests/test_core.py::test_add_ints')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_add_strings_fails')).toBe('FAILED');
    expect(m.get('tests/test_core.py::test_add_param[2-2-5]')).toBe('FAILED');
    expect(m.get('tests/test_core.py::TestGroup::test_method_fails')).toBe('FAILED');
    expect(m.get('tests/test_core.py::test_known_bug')).toBe('XFAIL');
    expect(m.get('tests/test_core.py::test_setup_error')).toBe('ERROR');
    // "PASSED …::test_teardown_error" then "ERROR …::test_teardown_error - RuntimeError": the later line wins.
    expect(m.get('tests/test_core.py::test_teardown_error')).toBe('ERROR');
  });

  it('cuts an id at its first whitespace, ignores XPASS and the folded SKIPPED [N] summary', () => {
    expect(m.get('tests/test_core.py::test_label_with_space[m')).toBe('PASSED');
    expect([...m.keys()].some((k) => k.includes('m / s'))).toBe(false);
    expect([...m.keys()].some((k) => k.includes('test_xpass'))).toBe(false);
    expect(m.has('[1]')).toBe(false);
    expect([...m.keys()].some((k) => k.includes('needs_network') || k.includes('skip_inside'))).toBe(false);
  });

  it('reads a status word at the start of any line, so a test printing "PASSED x" adds x (the spoofing vector)', () => {
    expect(m.get('tests/test_other.py::test_forged')).toBe('PASSED');
  });

  it('gives pytest 9 the same map as pytest 8', () => {
    // The path parameter holds the temp dir of the run that made each log.
    const normalise = (map: Map<string, string>) => [...map].map(([k, v]) => [PATH_PARAM.test(k) ? 'PATH' : k, v]);
    expect(normalise(parseLogPytest(fixtureLog('pytest9-rA.log')))).toEqual(normalise(m));
  });

  it('without -rA sees only the short summary of failures and errors', () => {
    expect(entries(parseLogPytest(fixtureLog('pytest8-plain.log')))).toEqual({
      'tests/test_core.py::test_add_strings_fails': 'FAILED',
      'tests/test_core.py::test_add_param[2-2-5]': 'FAILED',
      'tests/test_core.py::TestGroup::test_method_fails': 'FAILED',
      'tests/test_core.py::test_setup_error': 'ERROR',
      'tests/test_core.py::test_teardown_error': 'ERROR',
    });
  });

  it('ignores coloured and indented status lines', () => {
    const colour = parseLogPytest(fixtureLog('pytest8-color.log'));
    expect([...colour.keys()]).toEqual(['tests/test_other.py::test_forged']);
    expect(entries(parseLogPytest('  PASSED tests/t.py::a\n\x1b[32mPASSED\x1b[0m tests/t.py::b\nPASSED tests/t.py::c'))).toEqual({ 'tests/t.py::c': 'PASSED' });
  });

  it('makes "ERROR: file or directory not found" the entry {"file": "ERROR:"}, and a wrapped "PASSED [100%]" the id "[100%]"', () => {
    // Hand-written: pytest's usage error, and a progress line wrapped in verbose output (pytest-dev__pytest-5262
    // and -7521 list "[100%]" in PASS_TO_PASS because of it).
    const m2 = parseLogPytest('ERROR: file or directory not found: tests/test_missing.py\n\nPASSED                                                                   [100%]\nPASSED\n');
    expect(entries(m2)).toEqual({ file: 'ERROR:', '[100%]': 'PASSED' });
  });

  it('reads pytest < 8 summaries, where an XFAIL reason is on the next line (hand-written, pytest 7.4 shape)', () => {
    const old = ['PASSED tests/t.py::test_a', 'XFAIL tests/t.py::test_b', '  reason: known bug', 'SKIPPED [2] tests/t.py:10: needs network', 'FAILED tests/t.py::test_c - assert 1 == 2'].join('\n');
    expect(entries(parseLogPytest(old))).toEqual({ 'tests/t.py::test_a': 'PASSED', 'tests/t.py::test_b': 'XFAIL', 'tests/t.py::test_c': 'FAILED' });
  });

  it('splits on Python whitespace, not JavaScript\'s (\\x1c-\\x1f and \\x85 separate, \\ufeff does not)', () => {
    expect([...parseLogPytest('PASSED a\x1cb\nPASSED c\x85d\nPASSED e\ufefff').keys()]).toEqual(['a', 'c', 'e\ufefff']);
  });
});

describe('parse_log_pytest_options', () => {
  const m = parseLogPytestOptions(pytest8);

  it('keeps only the last component of an absolute-path parameter, not of "/", "//x" or a glob', () => {
    expect(m.get('tests/test_core.py::test_path_param[/input.txt]')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_path_param[/]')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_path_param[//double]')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_path_param[/tmp/*.txt]')).toBe('PASSED');
    expect([...m.keys()].some((k) => PATH_PARAM.test(k))).toBe(false);
  });

  it('rewrites from the first "[" to the last "]" and drops what follows, as the harness\'s regex does', () => {
    expect(pathParamId('t.py::f[/a/b.txt]x')).toBe('t.py::f[/b.txt]');
    expect(pathParamId('t.py::f[a][/x/y]')).toBe('t.py::f[a][/x/y]');
    expect(pathParamId('t.py::f[/x/y')).toBe('t.py::f[/x/y');
    expect(pathParamId('t.py::f]x[')).toBe('t.py::f]x[');
  });
});

describe('parse_log_pytest_v2', () => {
  it('strips colour codes and keys the whole rest of the line, spaces included', () => {
    const m = parseLogPytestV2(fixtureLog('pytest8-color.log'));
    expect(m.get('tests/test_core.py::test_add_ints')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_label_with_space[m / s]')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_add_strings_fails')).toBe('FAILED');
  });

  it('keys XFAIL, ERROR and unfolded SKIPPED lines with their message (pytest >= 8): the ids themselves go missing', () => {
    const m = parseLogPytestV2(pytest8);
    expect(m.get('tests/test_core.py::test_known_bug - known bug in add')).toBe('XFAIL');
    expect(m.has('tests/test_core.py::test_known_bug')).toBe(false);
    expect(m.get('tests/test_core.py::test_setup_error - RuntimeError: setup exploded')).toBe('ERROR');
    expect(m.has('tests/test_core.py::test_setup_error')).toBe(false);
    // The teardown ERROR no longer overrides the test's PASSED.
    expect(m.get('tests/test_core.py::test_teardown_error')).toBe('PASSED');
    const unfolded = parseLogPytestV2(fixtureLog('pytest8-unfolded.log'));
    expect(unfolded.get('tests/test_core.py::test_needs_network - Skipped: needs network')).toBe('SKIPPED');
    expect(unfolded.has('tests/test_core.py::test_needs_network')).toBe(false);
    expect(parseLogPytest(fixtureLog('pytest8-unfolded.log')).get('tests/test_core.py::test_needs_network')).toBe('SKIPPED');
  });

  it('reads classic verbose lines that end with the status (astropy\'s -vv -o console_output_style=classic)', () => {
    const m = parseLogPytestV2(fixtureLog('pytest8-classic.log'));
    expect(m.get('tests/test_core.py::test_add_strings_fails')).toBe('FAILED');
    expect(m.get('tests/test_core.py::test_label_with_space[m / s]')).toBe('PASSED');
    // "…::test_known_bug XFAIL (known bug in add)" ends with ")": only the -rA line's key (with its reason) exists.
    expect(m.has('tests/test_core.py::test_known_bug')).toBe(false);
    expect(entries(parseLogPytestV2('sklearn/t.py::test_a PASSED\nsklearn/t.py::test_b   FAILED\nsklearn/t.py::test_c xPASSED'))).toEqual({
      'sklearn/t.py::test_a': 'PASSED',
      'sklearn/t.py::test_b': 'FAILED',
      'sklearn/t.py::test_c': 'xPASSED',
    });
  });

  it('drops the folded SKIPPED [N] summary and keeps codes it cannot strip ("[1;31m")', () => {
    expect(entries(parseLogPytestV2('SKIPPED [3] t.py:4: why\n\x1b[1;31mFAILED\x1b[0m t.py::x'))).toEqual({});
  });
});

describe('parse_log_matplotlib', () => {
  it('is parse_log_pytest after MouseButton.LEFT → 1 and MouseButton.RIGHT → 3', () => {
    const m = parseLogMatplotlib(pytest8);
    expect(m.get('tests/test_other.py::test_click[1]')).toBe('PASSED');
    expect(m.get('tests/test_other.py::test_click[3]')).toBe('PASSED');
    expect(m.has('tests/test_other.py::test_click[MouseButton.LEFT]')).toBe(false);
    expect(parseLogPytest(pytest8).get('tests/test_other.py::test_click[MouseButton.LEFT]')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_label_with_space[m')).toBe('PASSED');
  });
});

describe('parse_log_seaborn', () => {
  it('takes verbose progress lines "x PASSED [ n%]" and "FAILED x"; never ERROR, SKIPPED or XFAIL', () => {
    const m = parseLogSeaborn(fixtureLog('pytest8-verbose.log'));
    expect(m.get('tests/test_core.py::test_add_ints')).toBe('PASSED');
    expect(m.get('tests/test_core.py::test_add_strings_fails')).toBe('FAILED');
    expect(new Set(m.values())).toEqual(new Set(['PASSED', 'FAILED']));
    expect([...m.keys()].some((k) => /known_bug|setup_error|needs_network/.test(k))).toBe(false);
  });

  it('never reads a line with " PASSED " inside as a "PASSED x" line', () => {
    expect(entries(parseLogSeaborn('PASSED a PASSED b\nPASSED c\nFAILED\nx PASSED [ 50%]'))).toEqual({ c: 'PASSED', x: 'PASSED' });
  });
});

describe('parse_log_django', () => {
  const py310 = parseLogDjango(fixtureLog('django-py310.log'));

  it('keys "name (module.Class)" under Python <= 3.10 and "name (module.Class.name)" from 3.11, not normalised', () => {
    expect(py310.get('test_decimal_numbers (fixture_app.tests.NumberFormatTests)')).toBe('PASSED');
    expect(py310.get('test_empty (fixture_app.tests.NumberFormatTests)')).toBe('FAILED');
    expect(py310.get('test_error (fixture_app.tests.NumberFormatTests)')).toBe('ERROR');
    expect(py310.get('test_skipped (fixture_app.tests.NumberFormatTests)')).toBe('SKIPPED');
    const py312 = parseLogDjango(fixtureLog('django-py312.log'));
    expect(py312.get('test_decimal_numbers (fixture_app.tests.NumberFormatTests.test_decimal_numbers)')).toBe('PASSED');
    expect(py312.has('test_decimal_numbers (fixture_app.tests.NumberFormatTests)')).toBe(false);
  });

  it('keys a test with a docstring by the docstring\'s first line', () => {
    expect(py310.get('Regression for #17530 - should be able to cope with forward references.')).toBe('PASSED');
    expect(py310.get('Empty strings format as the empty string.')).toBe('FAILED');
    expect(py310.get('SIGINT is ignored in Python and passed to psql to abort queries.')).toBe('SKIPPED');
    expect(py310.has('test_docstring_pass (fixture_app.tests.NumberFormatTests)')).toBe(false);
  });

  it('keys FAIL:/ERROR: blocks by the bare method name, and does not know expected failures or unexpected successes', () => {
    expect(py310.get('test_docstring_fail')).toBe('FAILED');
    expect(py310.get('test_subtests')).toBe('FAILED');
    expect(py310.get('test_error')).toBe('ERROR');
    expect([...py310.keys()].some((k) => k.includes('test_expected_failure') || k.includes('test_unexpected_success'))).toBe(false);
  });

  it('bridges output printed between "..." and "ok" to the last "x ... " line', () => {
    // Real: the test writes "System check identified no issues (0 silenced)." to stderr after its "... ".
    expect(py310.get('test_prints_between (fixture_app.tests.NumberFormatTests)')).toBe('PASSED');
  });

  it('recognises the three interrupted-"ok" forms, "--version is equivalent to version" and the migration run-in (hand-written)', () => {
    const log = [
      "test_a (m.T) ... Testing against Django installed in '/testbed/django' with up to 8 processes",
      'Found 1 test(s).',
      'System check identified no issues (0 silenced).',
      'ok',
      // Tabs around "...": no " ... " for the line-by-line pass, only the multi-line patterns see these two.
      'test_b (m.T)\t...\tInternal Server Error: /admin/x/',
      'ok',
      'test_c (m.T)\t...\tSystem check identified no issues (0 silenced)',
      'ok',
      '--version is equivalent to version',
      'Applying sites.0002_alter_domain_unique...test_no_migrations (m.T) ... ok',
      '  test_d (m.T) ...  OK',
    ].join('\n');
    expect(entries(parseLogDjango(log))).toEqual({
      'test_a (m.T)': 'PASSED',
      'test_b (m.T)': 'PASSED',
      'test_c (m.T)': 'PASSED',
      '--version is equivalent to version': 'PASSED',
      'test_no_migrations (m.T)': 'PASSED',
      'test_d (m.T)': 'PASSED',
    });
  });

  it('crashes where the harness raises IndexError (a "FAIL:" line of one word)', () => {
    expect(() => parseLogDjango('test_a (m.T) ... ok\nFAIL:\n')).toThrow(ParserCrash);
  });
});

describe('parse_log_sympy', () => {
  const m = parseLogSympy(fixtureLog('sympy.log'));

  it('keys verdict lines by their first word: ok, F and E', () => {
    expect(m.get('test_sparse_matrices')).toBe('PASSED');
    expect(m.get('test_expand_ok')).toBe('PASSED');
    expect(m.get('test_expand_fails')).toBe('FAILED');
    expect(m.get('test_expand_errors')).toBe('ERROR');
  });

  it('keys failure headers "path.py:name" (and "path.py::name") FAILED', () => {
    expect(m.get('sympy/utilities/tests/test_agentpod_fixture.py:test_expand_errors')).toBe('FAILED');
    expect(m.get('sympy/utilities/tests/test_agentpod_fixture.py::test_expand_fails')).toBe('FAILED');
  });

  it('never parses the last test of a file (its line ends with the file verdict), nor f, X or s', () => {
    expect(m.has('test_pr24993')).toBe(false);
    expect(m.has('test_last_of_file')).toBe(false);
    for (const t of ['test_known_failure', 'test_unexpected_pass', 'test_skipped']) expect(m.has(t)).toBe(false);
  });
});

describe('parser names', () => {
  it('knows every Python name the harness registers, each repository of MAP_REPO_TO_PARSER_PY, and repo names as names', () => {
    expect(PARSER_NAMES).toHaveLength(20);
    for (const name of PARSER_NAMES) expect(parserByName(name).name).toBe(name);
    expect(Object.keys(REPO_PARSERS)).toHaveLength(18);
    expect(parserByName('parse_log_requests').parse).toBe(parseLogPytestOptions);
    expect(parserByName('parse_log_astropy').parse).toBe(parseLogPytestV2);
    expect(parserByName('parse_log_xarray').parse).toBe(parseLogPytest);
    expect(parserByName('django/django').parse).toBe(parseLogDjango);
  });

  it('refuses an unknown name in one line naming the known ones, and a non-Python one as not implemented', () => {
    const message = (name: string) => {
      try {
        parserByName(name);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(message('parse_log_pytset')).toMatch(/^unknown log parser "parse_log_pytset": agentpod implements the harness's Python parsers parse_log_pytest, parse_log_pytest_options, /);
    expect(message('parse_log_pytset')).not.toContain('\n');
    expect(message('parse_log_jest')).toMatch(/^log parser "parse_log_jest" is the harness's JavaScript parser: agentpod grades Python test logs only/);
    expect(message('parse_log_gotest')).toMatch(/Go parser/);
  });

  it('chooses as the harness: --log-parser, else the record\'s log_parser, else the repository\'s', () => {
    const task = { instanceId: 'x__y-1', logParser: 'parse_log_sympy', repo: 'django/django' };
    expect(parserFor(task, 'parse_log_pytest')).toMatchObject({ name: 'parse_log_pytest', from: 'override' });
    expect(parserFor(task)).toMatchObject({ name: 'parse_log_sympy', from: 'record' });
    expect(parserFor({ ...task, logParser: null })).toMatchObject({ name: 'parse_log_django', from: 'repo' });
    expect(() => parserFor({ ...task, logParser: null, repo: 'encode/starlette' })).toThrow(/names no log_parser .*encode\/starlette: give --log-parser NAME/);
  });
});
