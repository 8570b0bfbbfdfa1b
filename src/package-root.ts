// The agentpod package's own folder (holds profiles/, traces/scripts/, prompts/). Both src/ and dist/
// sit directly below it, so this works for the compiled CLI and for tests run from source.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
