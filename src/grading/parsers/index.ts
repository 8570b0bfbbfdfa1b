// Every Python parser name of the harness (v5 PARSER_REGISTRY, as datasets name them in `log_parser`) and its
// repository map (MAP_REPO_TO_PARSER_PY); a name is looked up here, and an unknown one is refused in one line.
import { ConfigError } from '../../errors.js';
import type { LogParser } from '../status.js';
import { parseLogDjango } from './django.js';
import { parseLogMatplotlib, parseLogPytest, parseLogPytestOptions, parseLogPytestV2 } from './pytest.js';
import { parseLogSeaborn } from './seaborn.js';
import { parseLogSympy } from './sympy.js';

/** The seven parser bodies, by their own names. */
const BODIES = {
  parse_log_pytest: parseLogPytest,
  parse_log_pytest_options: parseLogPytestOptions,
  parse_log_pytest_v2: parseLogPytestV2,
  parse_log_django: parseLogDjango,
  parse_log_sympy: parseLogSympy,
  parse_log_seaborn: parseLogSeaborn,
  parse_log_matplotlib: parseLogMatplotlib,
} satisfies Record<string, LogParser>;

/** The harness's per-repository aliases: same body, the name the dataset records. */
const ALIASES: Record<string, keyof typeof BODIES> = {
  parse_log_astroid: 'parse_log_pytest',
  parse_log_flask: 'parse_log_pytest',
  parse_log_marshmallow: 'parse_log_pytest',
  parse_log_pvlib: 'parse_log_pytest',
  parse_log_pyvista: 'parse_log_pytest',
  parse_log_sqlfluff: 'parse_log_pytest',
  parse_log_xarray: 'parse_log_pytest',
  parse_log_pydicom: 'parse_log_pytest_options',
  parse_log_requests: 'parse_log_pytest_options',
  parse_log_pylint: 'parse_log_pytest_options',
  parse_log_astropy: 'parse_log_pytest_v2',
  parse_log_scikit: 'parse_log_pytest_v2',
  parse_log_sphinx: 'parse_log_pytest_v2',
};

/** MAP_REPO_TO_PARSER_PY: the parser the harness uses for a repository when the record names none. */
export const REPO_PARSERS: Readonly<Record<string, string>> = {
  'astropy/astropy': 'parse_log_astropy',
  'django/django': 'parse_log_django',
  'marshmallow-code/marshmallow': 'parse_log_marshmallow',
  'matplotlib/matplotlib': 'parse_log_matplotlib',
  'mwaskom/seaborn': 'parse_log_seaborn',
  'pallets/flask': 'parse_log_flask',
  'psf/requests': 'parse_log_requests',
  'pvlib/pvlib-python': 'parse_log_pvlib',
  'pydata/xarray': 'parse_log_xarray',
  'pydicom/pydicom': 'parse_log_pydicom',
  'pylint-dev/astroid': 'parse_log_astroid',
  'pylint-dev/pylint': 'parse_log_pylint',
  'pytest-dev/pytest': 'parse_log_pytest',
  'pyvista/pyvista': 'parse_log_pyvista',
  'scikit-learn/scikit-learn': 'parse_log_scikit',
  'sqlfluff/sqlfluff': 'parse_log_sqlfluff',
  'sphinx-doc/sphinx': 'parse_log_sphinx',
  'sympy/sympy': 'parse_log_sympy',
};

/** The harness's parsers for other languages (SWE-bench Multilingual / Multimodal), which agentpod does not implement. */
const OTHER_LANGUAGES: Readonly<Record<string, string>> = {
  parse_log_calypso: 'JavaScript',
  parse_log_chart_js: 'JavaScript',
  parse_log_marked: 'JavaScript',
  parse_log_p5js: 'JavaScript',
  parse_log_react_pdf: 'JavaScript',
  parse_log_jest: 'JavaScript',
  parse_log_jest_json: 'JavaScript',
  parse_log_vitest: 'JavaScript',
  parse_log_karma: 'JavaScript',
  parse_log_tap: 'JavaScript',
  parse_log_immutable_js: 'JavaScript',
  parse_log_gotest: 'Go',
};

export const PARSER_NAMES: readonly string[] = [...Object.keys(BODIES), ...Object.keys(ALIASES)];

function isParserName(name: string): boolean {
  return Object.hasOwn(BODIES, name) || Object.hasOwn(ALIASES, name);
}

const KNOWN = `the harness's Python parsers ${Object.keys(BODIES).join(', ')} and their per-repository names (${Object.keys(ALIASES).slice(0, 3).join(', ')}, ... ${Object.keys(ALIASES).length} in all)`;

/**
 * The parser of a name, as a dataset's `log_parser` gives it (`parse_log_flask`), or a repository the harness
 * maps (`pallets/flask`, as SWE-rebench's fork accepts in install_config.log_parser). Unknown: ConfigError.
 */
export function parserByName(name: string): { name: string; parse: LogParser } {
  if (Object.hasOwn(REPO_PARSERS, name)) return parserByName(REPO_PARSERS[name]);
  if (isParserName(name)) {
    const body = Object.hasOwn(ALIASES, name) ? ALIASES[name] : (name as keyof typeof BODIES);
    return { name, parse: BODIES[body] };
  }
  if (Object.hasOwn(OTHER_LANGUAGES, name)) {
    throw new ConfigError(`log parser "${name}" is the harness's ${OTHER_LANGUAGES[name]} parser: agentpod grades Python test logs only, with ${KNOWN}`);
  }
  throw new ConfigError(`unknown log parser "${name}": agentpod implements ${KNOWN}`);
}

export type ParserSource = 'override' | 'record' | 'repo';

export interface ParserChoice {
  name: string;
  parse: LogParser;
  /** --log-parser, the record's log_parser (or install_config.log_parser), or the harness's map of its repo. */
  from: ParserSource;
}

/** The parser the harness would grade this task with: the override, else the record's, else its repository's. */
export function parserFor(task: { instanceId: string; logParser: string | null; repo: string | null }, override?: string): ParserChoice {
  if (override !== undefined && override !== '') return { ...parserByName(override), from: 'override' };
  if (task.logParser) return { ...parserByName(task.logParser), from: 'record' };
  if (task.repo && Object.hasOwn(REPO_PARSERS, task.repo)) return { ...parserByName(REPO_PARSERS[task.repo]), from: 'repo' };
  const why = task.repo ? `and the harness maps no parser for its repo ${task.repo}` : 'nor a repo';
  throw new ConfigError(`task ${task.instanceId} names no log_parser (nor install_config.log_parser) ${why}: give --log-parser NAME (e.g. parse_log_pytest)`);
}
