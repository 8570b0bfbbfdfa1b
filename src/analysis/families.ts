// Which kind of work a Bash tool call did, from its command line, and a one-line description of any tool
// call's input. Pure; see docs/queries.md for the families.

export const BASH_FAMILIES = ['test', 'install', 'python', 'git', 'search', 'other'] as const;
export type BashFamily = (typeof BASH_FAMILIES)[number];

/**
 * The command split into simple commands (at unquoted `&&`, `||`, `;`, `|`, `&`, newlines and parentheses),
 * each a list of words with quotes removed. A small shell lexer: no expansion, `$(...)` and backticks are
 * kept as text.
 */
export function splitSimpleCommands(command: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) word += command[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') endWord();
    else if ('&|;\n()'.includes(c)) endCommand();
    else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Commands that run the next word as the program (their own options skipped). */
const WRAPPERS = new Set(['sudo', 'env', 'time', 'nice', 'nohup', 'stdbuf', 'xargs', 'exec', 'command', 'timeout', 'conda-run']);
const TEST_PROGRAMS = new Set(['pytest', 'py.test', 'tox', 'nox', 'nosetests', 'jest', 'vitest', 'mocha', 'phpunit', 'rspec', 'ctest']);
const SEARCH_PROGRAMS = new Set(['grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'find', 'fd', 'fdfind', 'ls', 'tree', 'locate']);
const TEST_SUBCOMMANDS: Record<string, Set<string>> = {
  go: new Set(['test']),
  cargo: new Set(['test', 'nextest']),
  make: new Set(['test', 'check', 'tests']),
  npm: new Set(['test', 't']),
  yarn: new Set(['test']),
  pnpm: new Set(['test']),
  mvn: new Set(['test', 'verify']),
  gradle: new Set(['test']),
};
const INSTALL_SUBCOMMANDS: Record<string, Set<string>> = {
  pip: new Set(['install']),
  conda: new Set(['install', 'create', 'update']),
  mamba: new Set(['install', 'create', 'update']),
  micromamba: new Set(['install', 'create', 'update']),
  npm: new Set(['install', 'i', 'ci', 'add']),
  yarn: new Set(['add', 'install']),
  pnpm: new Set(['add', 'install', 'i']),
  apt: new Set(['install']),
  'apt-get': new Set(['install']),
  poetry: new Set(['install', 'add']),
  uv: new Set(['add', 'sync']),
  go: new Set(['get']),
  cargo: new Set(['add', 'install']),
  gem: new Set(['install']),
};
const JS_PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm']);
const TEST_PYTHON_MODULES = new Set(['pytest', 'unittest', 'tox', 'nose', 'nox']);

const basename = (word: string) => word.slice(word.lastIndexOf('/') + 1);
const isPython = (program: string) => /^python(\d+(\.\d+)?)?$/.test(program);
const isTestScript = (word: string) => /(^|\/)run[-_]?tests?(\.py|\.sh)?$/.test(word) || /(^|\/)bin\/test$/.test(word);

/** The words from the program on: leading VAR=value assignments and wrapper commands skipped. */
function programWords(words: string[]): string[] {
  let i = 0;
  while (i < words.length) {
    const w = words[i];
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else if (WRAPPERS.has(basename(w))) {
      const isTimeout = basename(w) === 'timeout';
      i++;
      while (i < words.length && words[i].startsWith('-')) i++;
      if (isTimeout && i < words.length && /^\d/.test(words[i])) i++; // timeout's DURATION
    } else break;
  }
  return words.slice(i);
}

/** The family of one simple command. */
function simpleCommandFamily(words: string[]): BashFamily | null {
  const [first, ...args] = programWords(words);
  if (first === undefined) return null;
  const program = basename(first).replace(/^pip\d[\d.]*$/, 'pip');
  const sub = args.find((a) => !a.startsWith('-'));
  if ((program === 'bash' || program === 'sh') && args[0] === '-c' && args[1] !== undefined) return bashFamily(args[1]);
  if (TEST_PROGRAMS.has(program) || isTestScript(first)) return 'test';
  if (isPython(program)) {
    const m = args.indexOf('-m');
    const module = m >= 0 ? args[m + 1] : undefined;
    if (module === 'pip') return simpleCommandFamily(args.slice(m + 1));
    if ((module && TEST_PYTHON_MODULES.has(module)) || args.some(isTestScript) || (args[0] === 'setup.py' && args[1] === 'test')) return 'test';
    return 'python';
  }
  if (program === 'uv' && sub === 'pip') return simpleCommandFamily(args.slice(args.indexOf('pip')));
  if (sub !== undefined && TEST_SUBCOMMANDS[program]?.has(sub)) return 'test';
  if (JS_PACKAGE_MANAGERS.has(program) && sub === 'run' && args[args.indexOf('run') + 1] === 'test') return 'test';
  if (sub !== undefined && INSTALL_SUBCOMMANDS[program]?.has(sub)) return 'install';
  if (program === 'git') return 'git';
  if (SEARCH_PROGRAMS.has(program)) return 'search';
  return 'other';
}

/**
 * The family of a Bash command line: each simple command is classified, and the line takes the first family
 * of BASH_FAMILIES that any of them has — `cd /testbed && python -m pytest -x | tail` is a test run,
 * `git log | grep fix` is git, `find . -name '*.py' | xargs grep foo` is search.
 */
export function bashFamily(command: string | null | undefined): BashFamily {
  const found = new Set<BashFamily>();
  for (const words of splitSimpleCommands(command ?? '')) {
    const family = simpleCommandFamily(words);
    if (family) found.add(family);
  }
  return BASH_FAMILIES.find((f) => found.has(f)) ?? 'other';
}

/** Input fields that say what a call was about, in the order they are looked for. */
const DETAIL_FIELDS = ['command', 'file_path', 'notebook_path', 'pattern', 'description', 'url', 'query', 'prompt', 'skill'];

/** One line saying what a tool call was about: the Bash command, the file read, the pattern searched... */
export function toolCallDetail(input: string | null | undefined): string {
  if (!input) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return '';
  }
  if (parsed === null || typeof parsed !== 'object') return '';
  const fields = parsed as Record<string, unknown>;
  const key = DETAIL_FIELDS.find((k) => typeof fields[k] === 'string');
  return key ? (fields[key] as string) : '';
}

/**
 * The AgentCgroup study's eight Bash categories (docs/characterization.md), in the order they are matched: the
 * first whose pattern the lower-cased command line contains wins. Kept as the study wrote them, so its
 * per-category figures can be reproduced; agentpod's own families (bashFamily) parse the command instead.
 */
export const STUDY_BASH_CATEGORIES = [
  ['test_execution', /\bpytest\b|\bpython\s+-m\s+pytest\b|\btox\b|\bnose\b|\bunittest\b/],
  ['package_install', /\bpip\s+install\b|\bconda\s+install\b|\bapt\b|\byum\b/],
  ['git_operations', /\bgit\s+(diff|log|status|show|add|commit|checkout|stash|branch|reset)\b/],
  ['python_snippet', /\bpython\s+-c\b|\bpython3\s+-c\b/],
  ['python_run', /\bpython\b|\bpython3\b/],
  ['file_exploration', /\bls\b|\bfind\b|\btree\b|\bwc\b|\bdu\b|\bdf\b/],
  ['text_processing', /\bcat\b|\bhead\b|\btail\b|\bgrep\b|\bsed\b|\bawk\b/],
] as const satisfies readonly (readonly [string, RegExp])[];

export type StudyBashCategory = (typeof STUDY_BASH_CATEGORIES)[number][0] | 'other';
export const STUDY_CATEGORY_NAMES: readonly StudyBashCategory[] = [...STUDY_BASH_CATEGORIES.map(([name]) => name), 'other'];

export function studyBashCategory(command: string | null | undefined): StudyBashCategory {
  const line = (command ?? '').trim().toLowerCase();
  return STUDY_BASH_CATEGORIES.find(([, pattern]) => pattern.test(line))?.[0] ?? 'other';
}
