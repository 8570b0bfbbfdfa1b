// The trial prompt: a template file with {{placeholders}} (prompts/swebench.md by default,
// --prompt-template FILE to replace it), rendered in one pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { TESTBED } from './env.js';
import type { SwebenchTask } from './task.js';

export const DEFAULT_TEMPLATE = join(packageRoot, 'prompts', 'swebench.md');

export const PLACEHOLDERS = ['instance_id', 'problem_statement', 'repo', 'base_commit', 'workdir', 'image', 'test_cmd', 'fail_to_pass', 'pass_to_pass'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** null: the task does not say (a template that uses it cannot be rendered for that task). */
export type PromptValues = Record<Placeholder, string | null>;

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export interface PromptTemplate {
  text: string;
  source: string;
}

/** Reads a template and rejects unknown placeholders up front (a typo would otherwise reach the agent). */
export function loadTemplate(file = DEFAULT_TEMPLATE): PromptTemplate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`--prompt-template ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return checkTemplate(text, file);
}

export function checkTemplate(text: string, source: string): PromptTemplate {
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ConfigError(`prompt template ${source}: unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})`);
    }
  }
  if (!/\{\{\s*problem_statement\s*\}\}/.test(text)) throw new ConfigError(`prompt template ${source}: it never uses {{problem_statement}}`);
  return { text, source };
}

export function promptValues(task: SwebenchTask | null, problemStatement: string, instanceId: string, image: string, baseCommit: string): PromptValues {
  const list = (tests: string[] | undefined) => (tests?.length ? tests.join('\n') : null);
  return {
    instance_id: instanceId,
    problem_statement: problemStatement,
    repo: task?.repo ?? null,
    base_commit: baseCommit,
    workdir: TESTBED,
    image,
    test_cmd: task?.testCmd ?? null,
    fail_to_pass: list(task?.failToPass),
    pass_to_pass: list(task?.passToPass),
  };
}

/** One pass: text coming from the values (a problem statement quoting "{{x}}") is never expanded again. */
export function renderPrompt(template: PromptTemplate, values: PromptValues): string {
  return template.text.replace(PLACEHOLDER, (_, name: Placeholder) => {
    const value = values[name];
    if (value === null) throw new ConfigError(`prompt template ${template.source} uses {{${name}}}, but instance ${values.instance_id} has no ${name}`);
    return value;
  });
}
