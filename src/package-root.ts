// The agentpod package's own folder (holds profiles/, traces/scripts/, prompts/). Both src/ and dist/
// sit directly below it, so this works for the compiled CLI and for tests run from source.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** agentpod's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
